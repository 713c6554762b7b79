use pageout_core::scenario::link;
use pageout_core::{Col, Simulation};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let s = link::decode(&args[1]).unwrap();
    let every: usize = args.get(2).map_or(50, |v| v.parse().unwrap());
    let mut sim = Simulation::new(&s).unwrap();
    sim.run();
    let sm = sim.samples();
    println!("tick free cache inact act wired bufspaceK dirtyK hwK runK userKb");
    for i in (0..sm.len()).step_by(every) {
        let r = sm.row(i);
        let g = |c: Col| r[c as usize];
        println!(
            "{} {} {} {} {} {} {} {} {} {} {}",
            g(Col::Tick),
            g(Col::Free),
            g(Col::Cache),
            g(Col::Inactive),
            g(Col::Active),
            g(Col::Wired),
            g(Col::Bufspace) / 1024,
            g(Col::Dirtybufspace) / 1024,
            g(Col::Dirtybufspacehw) / 1024,
            g(Col::Runningbufspace) / 1024,
            g(Col::UserKb)
        );
    }
    let below = (0..sm.len())
        .filter(|&i| {
            let r = sm.row(i);
            r[Col::Free as usize] + r[Col::Cache as usize] < sim.thresholds().v_free_reserved
        })
        .count();
    let sev = (0..sm.len())
        .filter(|&i| {
            let r = sm.row(i);
            r[Col::Free as usize] + r[Col::Cache as usize] < sim.thresholds().v_free_severe
        })
        .count();
    println!(
        "samples {} below reserved {} below severe {} stats {:?}",
        sm.len(),
        below,
        sev,
        sim.stats()
    );
    println!(
        "{:?}",
        sim.outcome().map(|o| (o.kind, o.tick, o.summary.clone()))
    );
    for t in sim.threads() {
        println!(
            "{} {:?}",
            t.name,
            t.account
                .sleeps
                .iter()
                .map(|s| (s.wmesg.clone(), s.count, s.ticks))
                .collect::<Vec<_>>()
        );
    }
}
