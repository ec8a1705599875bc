//! `gen-arrow <out.arrow> <rows> [threads]`: writes a tick file (Timestamp
//! ns + f64, one record batch) for the Arrow benchmarks and the peer script.
//!   cargo run --release -p gpu-charts-benches --bin gen-arrow -- target/ticks-1g.arrow 67108864

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(out), Some(rows)) = (
        args.get(1),
        args.get(2).and_then(|r| r.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: gen-arrow <out.arrow> <rows> [threads]");
        return std::process::ExitCode::from(2);
    };
    let threads = args
        .get(3)
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let start = std::time::Instant::now();
    match gpu_charts_benches::arrow_gen::write_ticks(std::path::Path::new(out), rows, threads) {
        Ok(bytes) => {
            eprintln!(
                "wrote {out}: {rows} rows, {bytes} bytes in {:.2?} ({threads} threads)",
                start.elapsed()
            );
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-arrow: cannot write {out}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
