//! This machine's single-core memory read bandwidth: the ceiling of
//! generation speed, since every generated token reads all the weights.

use std::time::Instant;

/// Bytes read per pass: far beyond any cache.
const BUFFER_BYTES: usize = 512 << 20;

/// Reads a 512 MiB buffer `passes` times on the calling thread and returns
/// the best pass's rate in bytes per second.
pub fn read_bytes_per_sec(passes: usize) -> f64 {
    let words = BUFFER_BYTES / 8;
    // Distinct values so the pages are really backed, not the shared zero page.
    let buffer: Vec<u64> = (0..words as u64).collect();
    let mut best = f64::MAX;
    let mut sink = 0u64;
    for _ in 0..passes.max(1) {
        let start = Instant::now();
        sink = sink.wrapping_add(sum(&buffer));
        best = best.min(start.elapsed().as_secs_f64());
    }
    std::hint::black_box(sink);
    BUFFER_BYTES as f64 / best
}

/// Eight independent accumulators, so the loop is bound by loads, not by
/// one addition chain (the compiler vectorises it).
fn sum(words: &[u64]) -> u64 {
    let mut acc = [0u64; 8];
    let mut chunks = words.chunks_exact(8);
    for chunk in &mut chunks {
        for (a, w) in acc.iter_mut().zip(chunk) {
            *a = a.wrapping_add(*w);
        }
    }
    let tail: u64 = chunks.remainder().iter().fold(0, |a, w| a.wrapping_add(*w));
    acc.iter().fold(tail, |a, w| a.wrapping_add(*w))
}

#[cfg(test)]
mod tests {
    #[test]
    fn sums_every_word() {
        let words: Vec<u64> = (1..=21).collect();
        assert_eq!(super::sum(&words), 231);
    }
}
