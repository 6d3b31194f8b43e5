//! Request signing against the worked example of Slack's "Verifying requests
//! from Slack" page (docs.slack.dev/authentication/verifying-requests-from-slack;
//! the same secret, timestamp, body and signature are quoted verbatim by
//! several independent implementations' tests).

use agent_mouth_slack::{sign_request, verify_request, SigningSecret, VerifyError};

const DOC_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const DOC_TS: &str = "1531420618";
const DOC_BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
const DOC_SIG: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
const DOC_NOW: i64 = 1_531_420_618;

fn secret() -> SigningSecret {
    SigningSecret::new(DOC_SECRET).expect("the documented secret")
}

#[test]
fn slack_documented_example_verifies() {
    assert_eq!(
        sign_request(&secret(), DOC_TS, DOC_BODY.as_bytes()),
        DOC_SIG
    );
    assert_eq!(
        verify_request(
            &secret(),
            DOC_TS,
            DOC_SIG,
            DOC_BODY.as_bytes(),
            DOC_NOW + 60
        ),
        Ok(())
    );
}

#[test]
fn five_minutes_either_way_and_no_more() {
    let v = |now| verify_request(&secret(), DOC_TS, DOC_SIG, DOC_BODY.as_bytes(), now);
    assert_eq!(v(DOC_NOW + 300), Ok(()));
    assert_eq!(v(DOC_NOW - 300), Ok(()));
    assert_eq!(v(DOC_NOW + 301), Err(VerifyError::Stale { skew_secs: 301 }));
    assert_eq!(
        v(DOC_NOW - 301),
        Err(VerifyError::Stale { skew_secs: -301 })
    );
    assert_eq!(
        v(i64::MIN),
        Err(VerifyError::Stale {
            skew_secs: i64::MIN
        })
    );
}

#[test]
fn any_change_is_a_mismatch() {
    let body = DOC_BODY.as_bytes();
    let other_body = DOC_BODY.replace("roadrunner", "coyote");
    assert_eq!(
        verify_request(&secret(), DOC_TS, DOC_SIG, other_body.as_bytes(), DOC_NOW),
        Err(VerifyError::Mismatch)
    );
    // A timestamp moved by one second, still inside the window.
    assert_eq!(
        verify_request(&secret(), "1531420619", DOC_SIG, body, DOC_NOW),
        Err(VerifyError::Mismatch)
    );
    let wrong = SigningSecret::new("8f742231b10e8888abcd99yyyzzz85a6").unwrap();
    assert_eq!(
        verify_request(&wrong, DOC_TS, DOC_SIG, body, DOC_NOW),
        Err(VerifyError::Mismatch)
    );
    let flipped = DOC_SIG.replace("a2114d", "a2114e");
    assert_eq!(
        verify_request(&secret(), DOC_TS, &flipped, body, DOC_NOW),
        Err(VerifyError::Mismatch)
    );
    // Upper-case hex decodes to the same bytes and is accepted.
    assert_eq!(
        verify_request(
            &secret(),
            DOC_TS,
            &format!("v0={}", DOC_SIG[3..].to_uppercase()),
            body,
            DOC_NOW
        ),
        Ok(())
    );
}

#[test]
fn malformed_headers_are_refused() {
    let body = DOC_BODY.as_bytes();
    for bad in [
        "",
        "v0=",
        "v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
        "v0=zz",
        &DOC_SIG[..DOC_SIG.len() - 2],
    ] {
        assert_eq!(
            verify_request(&secret(), DOC_TS, bad, body, DOC_NOW),
            Err(VerifyError::BadSignatureFormat),
            "{bad}"
        );
    }
    assert_eq!(
        verify_request(&secret(), "now", DOC_SIG, body, DOC_NOW),
        Err(VerifyError::BadTimestamp)
    );
}
