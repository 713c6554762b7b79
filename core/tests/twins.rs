//! The switch grid simulates each distinct run once (`explore::twins`): a run that differs from
//! a simulated one only in switches that run never read is given its result. Here the grid of
//! the default scenario is run both ways, and every one of its runs must come out exactly as
//! simulating it does.

use pageout_core::explore::{grid, sweep};
use pageout_core::scenario::link;

#[test]
fn the_default_grid_gives_what_simulating_every_run_gives() {
    let s = link::decode("v=1&preset=dfly-2008-06-30&ram=64M&seed=19&until=140s").unwrap();
    let plan = grid::plan(&s, &[19, 6]).unwrap();
    let scenarios = grid::run_scenarios(&plan.runs).unwrap();
    let every = sweep::run_all(
        scenarios.len(),
        &|i| scenarios[i].clone(),
        2,
        true,
        &|_, _| {},
    )
    .unwrap();
    let results = grid::run_runs(&plan.runs, 2, true, &|_, _| {}).unwrap();
    assert_eq!(results.len(), every.len());
    for (i, (r, e)) in results.iter().zip(&every).enumerate() {
        let on = plan.cells[r.cell].on.join("+");
        assert_eq!(
            (r.kind, r.tick, r.trace_hash.clone()),
            (e.kind, e.tick, format!("{:016x}", e.trace_hash)),
            "run {i}: cell {on}, seed {}",
            r.seed
        );
        if let Some(j) = r.twin {
            assert!(
                j < i && results[j].twin.is_none(),
                "run {i} is the twin of run {j}"
            );
            assert_eq!(results[j].seed, r.seed);
        }
    }
    // both seeds hang before 140 s with every switch off and some cells cure them: the runs
    // differ, and still most of them are twins
    assert!(every[..2]
        .iter()
        .all(|e| e.kind == Some(pageout_core::OutcomeKind::Deadlock)));
    assert!(results
        .iter()
        .any(|r| r.kind == Some(pageout_core::OutcomeKind::Survived)));
    let simulated = results.iter().filter(|r| r.twin.is_none()).count();
    assert!(
        simulated * 3 < results.len(),
        "{simulated} of {} runs simulated",
        results.len()
    );
    let report = grid::report(&plan, &results).unwrap();
    assert_eq!(report.simulated, simulated);
}
