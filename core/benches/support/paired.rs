//! Paired ratios: two closures timed in alternating batches, so that the
//! machine's drift hits both sides alike; the median ratio with quartiles.

use std::hint::black_box;
use std::time::Instant;

/// Prints the median of `a`'s time over `b`'s over 40 alternating batches.
pub(crate) fn paired(name: &str, mut a: impl FnMut() -> bool, mut b: impl FnMut() -> bool) {
    const ROUNDS: usize = 40;
    let batch = |f: &mut dyn FnMut() -> bool, n: u32| {
        let start = Instant::now();
        for _ in 0..n {
            black_box(f());
        }
        start.elapsed().as_secs_f64()
    };
    // Batches of about 5 ms of the slower side.
    let probe = batch(&mut a, 20).max(batch(&mut b, 20)) / 20.0;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = ((0.005 / probe) as u32).max(10);
    let mut ratios: Vec<f64> = (0..ROUNDS)
        .map(|round| {
            if round % 2 == 0 {
                let ta = batch(&mut a, n);
                ta / batch(&mut b, n)
            } else {
                let tb = batch(&mut b, n);
                batch(&mut a, n) / tb
            }
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    println!(
        "{name:<40} {:.3}  (quartiles {:.3}–{:.3}, {ROUNDS} rounds of {n})",
        ratios[ROUNDS / 2],
        ratios[ROUNDS / 4],
        ratios[3 * ROUNDS / 4]
    );
}
