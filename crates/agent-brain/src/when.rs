//! Time named in a task: "last week", "yesterday", "three days ago",
//! "in May 2023", "on 8 May 2023", "2023-05-08", "in 2022", "last Monday".
//!
//! [`window`] turns the first such phrase into the half-open interval of
//! milliseconds it names, judged from the query time (a month or weekday
//! without a year is the latest one not after it). `route_task` then reads
//! the facts that became true in that interval (`valid_from`, else when
//! they were remembered) and ranks them above the others: a question about
//! a time finds the facts of that time. English only; anything else is no
//! window, never an error.

use time::{Date, Duration, Month, OffsetDateTime, Time, Weekday};

use crate::fact::millis;

/// `[start, end)`, milliseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) start: i64,
    pub(crate) end: i64,
}

/// The interval the first time phrase of `text` names, judged at `at`.
pub(crate) fn window(text: &str, at: OffsetDateTime) -> Option<Window> {
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect();
    let today = at.date();
    (0..words.len()).find_map(|i| phrase(&words[i..], today))
}

/// The interval a phrase starting at `w[0]` names.
fn phrase(w: &[String], today: Date) -> Option<Window> {
    let word = |i: usize| w.get(i).map(String::as_str);
    match word(0)? {
        "today" => days(today, 1),
        "tonight" => days(today, 1),
        "yesterday" => days(today.previous_day()?, 1),
        "last" | "past" | "previous" => last(word(1)?, today),
        "this" => this(word(1)?, today),
        w0 => {
            if let Some(window) = ago(w, today) {
                return Some(window);
            }
            if let Some(date) = iso_date(w0) {
                return days(date, 1);
            }
            // After "in", "during" or "on", a month alone or a year alone is
            // a time; without, "may" or "2023" is just a word.
            if matches!(w0, "in" | "during" | "on") {
                let rest = &w[1..];
                return day_month_year(rest, today, true)
                    .or_else(|| year(year_number(rest.first()?)?));
            }
            day_month_year(w, today, false)
        }
    }
}

/// "last week|month|year|weekend|<weekday>".
fn last(unit: &str, today: Date) -> Option<Window> {
    match unit {
        "week" => {
            let this_monday = monday_of(today)?;
            days(this_monday.checked_sub(Duration::days(7))?, 7)
        }
        "weekend" => {
            let saturday = latest(today.previous_day()?, Weekday::Saturday)?;
            days(saturday, 2)
        }
        "month" => {
            let first = today
                .replace_day(1)
                .ok()?
                .previous_day()?
                .replace_day(1)
                .ok()?;
            month_of(first.year(), first.month())
        }
        "year" => year(today.year() - 1),
        other => {
            let day = weekday(other)?;
            days(latest(today.previous_day()?, day)?, 1)
        }
    }
}

/// "this week|month|year".
fn this(unit: &str, today: Date) -> Option<Window> {
    match unit {
        "week" => days(monday_of(today)?, 7),
        "month" => month_of(today.year(), today.month()),
        "year" => year(today.year()),
        _ => None,
    }
}

/// "<n> days|weeks|months|years ago" (n a numeral, a number word, "a", "an").
fn ago(w: &[String], today: Date) -> Option<Window> {
    let n = number(w.first()?)?;
    let unit = w.get(1)?.trim_end_matches('s');
    if w.get(2).map(String::as_str) != Some("ago") {
        return None;
    }
    match unit {
        "day" => days(today.checked_sub(Duration::days(n))?, 1),
        "week" => days(today.checked_sub(Duration::days(7 * n))?, 7),
        "month" => {
            let months = i64::from(today.year()) * 12 + i64::from(u8::from(today.month())) - 1 - n;
            let year = i32::try_from(months.div_euclid(12)).ok()?;
            let month = Month::try_from(u8::try_from(months.rem_euclid(12) + 1).ok()?).ok()?;
            month_of(year, month)
        }
        "year" => year(today.year().checked_sub(i32::try_from(n).ok()?)?),
        _ => None,
    }
}

/// "8 May 2023", "May 8, 2023", "May 2023", and "May" when `bare` (it
/// followed "in", "on" or "during").
fn day_month_year(w: &[String], today: Date, bare: bool) -> Option<Window> {
    let word = |i: usize| w.get(i).map(String::as_str);
    let (day, month, rest) = if let Some(month) = word(0).and_then(month) {
        match word(1).and_then(day_number) {
            Some(day) => (Some(day), month, 2),
            None => (None, month, 1),
        }
    } else {
        let day = day_number(word(0)?)?;
        let month = month(word(1).filter(|w| *w != "of").or(word(2))?)?;
        let used = if word(1) == Some("of") { 3 } else { 2 };
        (Some(day), month, used)
    };
    let year = word(rest).and_then(year_number);
    if day.is_none() && year.is_none() && !bare {
        return None;
    }
    let year = match year {
        Some(year) => year,
        // Without a year: the latest such month (or day) not after today.
        None => {
            let this_year = today.year();
            let candidate = Date::from_calendar_date(this_year, month, day.unwrap_or(1)).ok()?;
            if candidate > today {
                this_year - 1
            } else {
                this_year
            }
        }
    };
    match day {
        Some(day) => days(Date::from_calendar_date(year, month, day).ok()?, 1),
        None => month_of(year, month),
    }
}

fn iso_date(word: &str) -> Option<Date> {
    let mut parts = word.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

fn number(word: &str) -> Option<i64> {
    const WORDS: [&str; 13] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve",
    ];
    match word {
        "a" | "an" => Some(1),
        "couple" => Some(2),
        _ => WORDS
            .iter()
            .position(|w| *w == word)
            .map(|n| n as i64)
            .or_else(|| {
                word.parse::<i64>()
                    .ok()
                    .filter(|n| (0..=10_000).contains(n))
            }),
    }
}

fn day_number(word: &str) -> Option<u8> {
    let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &word[digits.len()..];
    if !matches!(suffix, "" | "st" | "nd" | "rd" | "th") {
        return None;
    }
    digits.parse::<u8>().ok().filter(|d| (1..=31).contains(d))
}

fn year_number(word: &str) -> Option<i32> {
    word.parse::<i32>()
        .ok()
        .filter(|y| (1900..2200).contains(y) && word.len() == 4)
}

fn month(word: &str) -> Option<Month> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let index = NAMES
        .iter()
        .position(|n| *n == word || (word.len() == 3 && n.starts_with(word) && word != "may"))
        .or_else(|| (word == "sept").then_some(8))?;
    Month::try_from(u8::try_from(index + 1).ok()?).ok()
}

fn weekday(word: &str) -> Option<Weekday> {
    Some(match word {
        "monday" => Weekday::Monday,
        "tuesday" => Weekday::Tuesday,
        "wednesday" => Weekday::Wednesday,
        "thursday" => Weekday::Thursday,
        "friday" => Weekday::Friday,
        "saturday" => Weekday::Saturday,
        "sunday" => Weekday::Sunday,
        _ => return None,
    })
}

/// The latest `day` on or before `from`.
fn latest(from: Date, day: Weekday) -> Option<Date> {
    let back = (i64::from(from.weekday().number_days_from_monday())
        - i64::from(day.number_days_from_monday()))
    .rem_euclid(7);
    from.checked_sub(Duration::days(back))
}

fn monday_of(day: Date) -> Option<Date> {
    latest(day, Weekday::Monday)
}

/// From the start of `first` to the start of `next`.
fn between(first: Date, next: Date) -> Window {
    let midnight = |d: Date| millis(d.with_time(Time::MIDNIGHT).assume_utc());
    Window {
        start: midnight(first),
        end: midnight(next),
    }
}

fn days(first: Date, count: i64) -> Option<Window> {
    Some(between(first, first.checked_add(Duration::days(count))?))
}

fn month_of(year: i32, month: Month) -> Option<Window> {
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    let next = if month == Month::December {
        Date::from_calendar_date(year.checked_add(1)?, Month::January, 1).ok()?
    } else {
        Date::from_calendar_date(year, month.next(), 1).ok()?
    };
    Some(between(first, next))
}

fn year(year: i32) -> Option<Window> {
    let first = Date::from_calendar_date(year, Month::January, 1).ok()?;
    let next = Date::from_calendar_date(year.checked_add(1)?, Month::January, 1).ok()?;
    Some(between(first, next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    /// Wednesday 2024-03-13, 15:00 UTC.
    const AT: OffsetDateTime = datetime!(2024-03-13 15:00 UTC);

    fn span(text: &str) -> Option<(String, String)> {
        let show = |ms: i64| {
            OffsetDateTime::from_unix_timestamp(ms / 1000)
                .unwrap()
                .date()
                .to_string()
        };
        window(text, AT).map(|w| (show(w.start), show(w.end)))
    }

    fn is(text: &str, start: &str, end: &str) {
        assert_eq!(
            span(text),
            Some((start.to_owned(), end.to_owned())),
            "{text:?}"
        );
    }

    #[test]
    fn relative_phrases() {
        is("what did we decide today", "2024-03-13", "2024-03-14");
        is("the deploy yesterday", "2024-03-12", "2024-03-13");
        is("What changed last week?", "2024-03-04", "2024-03-11");
        is("this week's incidents", "2024-03-11", "2024-03-18");
        is("last month", "2024-02-01", "2024-03-01");
        is("this month", "2024-03-01", "2024-04-01");
        is("last year", "2023-01-01", "2024-01-01");
        is("three days ago", "2024-03-10", "2024-03-11");
        is("a week ago", "2024-03-06", "2024-03-13");
        is("2 months ago", "2024-01-01", "2024-02-01");
        is("four months ago", "2023-11-01", "2023-12-01");
        is("last Monday", "2024-03-11", "2024-03-12");
        is("last wednesday", "2024-03-06", "2024-03-07");
        is("last weekend", "2024-03-09", "2024-03-11");
    }

    #[test]
    fn calendar_phrases() {
        is("what happened on 8 May 2023", "2023-05-08", "2023-05-09");
        is("on May 8, 2023", "2023-05-08", "2023-05-09");
        is("the 8th of May 2023", "2023-05-08", "2023-05-09");
        is("in May 2023", "2023-05-01", "2023-06-01");
        is("during Dec 2023", "2023-12-01", "2024-01-01");
        is("in 2022", "2022-01-01", "2023-01-01");
        is("on 2023-05-08", "2023-05-08", "2023-05-09");
        // No year: the latest one not after the query time.
        is("in January", "2024-01-01", "2024-02-01");
        is("in November", "2023-11-01", "2023-12-01");
        is("on March 20", "2023-03-20", "2023-03-21");
        // A day that does not exist: the month and year that do.
        is("31 February 2023", "2023-02-01", "2023-03-01");
    }

    #[test]
    fn no_time_no_window() {
        for text in [
            "run the tests",
            "may I deploy",
            "the 2023 budget was approved",
            "port 8080",
            "what are Melanie's pets' names?",
            "last",
            "on 2023-02-30",
            "99999 days ago",
            "",
        ] {
            assert_eq!(span(text), None, "{text:?}");
        }
    }

    const VOCABULARY: &[&str] = &[
        "in",
        "on",
        "during",
        "last",
        "this",
        "past",
        "ago",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "a",
        "an",
        "three",
        "0",
        "1",
        "31",
        "99",
        "9999",
        "10001",
        "1899",
        "2023",
        "2199",
        "2200",
        "may",
        "feb",
        "february",
        "sept",
        "monday",
        "weekend",
        "of",
        "8th",
        "32nd",
        "yesterday",
        "today",
        "2023-02-29",
        "2024-02-29",
        "-",
        "--1",
    ];

    proptest::proptest! {
        #[test]
        fn any_text_is_one_non_empty_interval_or_none(
            words in proptest::collection::vec(proptest::sample::select(VOCABULARY), 0..6),
            noise in ".{0,40}",
            days in -1_000_000i64..1_000_000,
        ) {
            let at = AT.checked_add(Duration::days(days)).unwrap_or(AT);
            for text in [words.join(" "), format!("{noise} {}", words.join(" ")), noise.clone()] {
                if let Some(w) = window(&text, at) {
                    proptest::prop_assert!(w.start < w.end, "{text:?}: {w:?}");
                }
            }
        }
    }
}
