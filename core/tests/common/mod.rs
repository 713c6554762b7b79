//! Helpers shared by the scenario tests.
#![allow(dead_code)]

use pageout_core::{KernelPreset, Scenario, ScenarioPreset, Simulation};

/// The default scenario (the HAMMER lockup of the post) on `kernel` with `seed`.
pub fn lockup(kernel: KernelPreset, seed: u64) -> Scenario {
    Scenario {
        preset: kernel,
        seed,
        ..ScenarioPreset::HammerLockup.scenario()
    }
}

/// Runs `scenario` with every seed in `seeds` to its outcome, on two threads, and returns
/// `f(seed, &sim)` for each, in seed order.
pub fn each_seed<T: Send>(
    scenario: &Scenario,
    seeds: std::ops::RangeInclusive<u64>,
    f: impl Fn(u64, &Simulation) -> T + Sync,
) -> Vec<T> {
    let seeds: Vec<u64> = seeds.collect();
    let chunks: Vec<&[u64]> = seeds.chunks(seeds.len().div_ceil(2).max(1)).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                let f = &f;
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|&seed| {
                            let mut sim = Simulation::new(&Scenario {
                                seed,
                                ..scenario.clone()
                            })
                            .expect("valid scenario");
                            sim.run();
                            f(seed, &sim)
                        })
                        .collect::<Vec<T>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("no panic"))
            .collect()
    })
}
