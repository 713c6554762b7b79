use pageout_core::scenario::link;
use pageout_core::Simulation;
fn h(l: &str) -> (u64, String) {
    let s = link::decode(l).unwrap();
    let mut sim = Simulation::new(&s).unwrap();
    sim.run();
    (
        sim.trace_hash(),
        sim.outcome().unwrap().kind.name().to_string(),
    )
}
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let base = &args[1];
    for kv in &args[2..] {
        let a = h(base);
        let b = h(&format!("{base}&{kv}"));
        println!(
            "{base} {kv}: {} ({} -> {})",
            if a.0 != b.0 { "CHANGES" } else { "same" },
            a.1,
            b.1
        );
    }
}
