//! Progress on stderr: one bar per stage on a terminal, plain periodic log lines otherwise (CI
//! logs, files), nothing with `--quiet`.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, HumanCount, MultiProgress, ProgressBar, ProgressStyle};

use chorus_pipeline::{NoProgress, Progress, StageReport};

/// The progress display that fits where stderr goes.
pub(crate) fn for_stderr(quiet: bool) -> Box<dyn Progress> {
    if quiet {
        Box::new(NoProgress)
    } else if std::io::stderr().is_terminal() {
        Box::new(Bars::default())
    } else {
        Box::new(LogLines::default())
    }
}

#[derive(Default)]
struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Progress for Bars {
    fn stage_started(&self, stage: &str, unit: &str, total: Option<u64>) {
        let (bar, template) = match (total, unit) {
            (Some(total), "bytes") => (
                ProgressBar::new(total),
                "{prefix:>8} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
            ),
            (Some(total), _) => (
                ProgressBar::new(total),
                "{prefix:>8} [{bar:30}] {human_pos}/{human_len} {per_sec} ETA {eta}",
            ),
            (None, "bytes") => (
                ProgressBar::no_length(),
                "{prefix:>8} {spinner} {bytes} {bytes_per_sec}",
            ),
            (None, _) => (
                ProgressBar::no_length(),
                "{prefix:>8} {spinner} {human_pos} {per_sec}",
            ),
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = self
            .multi
            .add(bar.with_style(style).with_prefix(stage.to_string()));
        bar.enable_steady_tick(Duration::from_millis(200));
        if let Ok(mut bars) = self.bars.lock() {
            bars.insert(stage.to_string(), bar);
        }
    }

    fn stage_advanced(&self, stage: &str, done: u64) {
        if let Some(bar) = self
            .bars
            .lock()
            .ok()
            .and_then(|bars| bars.get(stage).cloned())
        {
            bar.set_position(done);
        }
    }

    fn stage_finished(&self, report: &StageReport) {
        if let Some(bar) = self
            .bars
            .lock()
            .ok()
            .and_then(|mut bars| bars.remove(&report.name))
        {
            bar.finish_and_clear();
        }
        let _ = self.multi.println(finished_line(report));
    }
}

/// Log lines at most every few seconds per stage.
#[derive(Default)]
struct LogLines {
    stages: Mutex<HashMap<String, LoggedStage>>,
}

struct LoggedStage {
    unit: String,
    total: Option<u64>,
    started: Instant,
    last_logged: Instant,
}

const LOG_EVERY: Duration = Duration::from_secs(5);

impl Progress for LogLines {
    fn stage_started(&self, stage: &str, unit: &str, total: Option<u64>) {
        let now = Instant::now();
        if let Ok(mut stages) = self.stages.lock() {
            stages.insert(
                stage.to_string(),
                LoggedStage {
                    unit: unit.to_string(),
                    total,
                    started: now,
                    last_logged: now,
                },
            );
        }
    }

    fn stage_advanced(&self, stage: &str, done: u64) {
        let Ok(mut stages) = self.stages.lock() else {
            return;
        };
        let Some(state) = stages.get_mut(stage) else {
            return;
        };
        if state.last_logged.elapsed() < LOG_EVERY {
            return;
        }
        state.last_logged = Instant::now();
        let seconds = state.started.elapsed().as_secs_f64().max(1e-9);
        let rate = done as f64 / seconds;
        let amount = |n: u64| match state.unit.as_str() {
            "bytes" => HumanBytes(n).to_string(),
            _ => HumanCount(n).to_string(),
        };
        let mut line = format!("chorus: {stage}: {}", amount(done));
        if let Some(total) = state.total.filter(|total| *total > 0) {
            let left = total.saturating_sub(done) as f64 / rate.max(1e-9);
            line.push_str(&format!(
                " of {} ({:.0}%, ETA {:.0}s)",
                amount(total),
                done as f64 * 100.0 / total as f64,
                left
            ));
        }
        line.push_str(&format!(", {}/s", amount(rate as u64)));
        eprintln!("{line}");
    }

    fn stage_finished(&self, report: &StageReport) {
        eprintln!("{}", finished_line(report));
    }
}

fn finished_line(report: &StageReport) -> String {
    let mut line = format!(
        "chorus: {}: {} items in {:.1}s",
        report.name,
        HumanCount(report.items),
        report.wall_seconds
    );
    if report.cache_hits > 0 {
        line.push_str(&format!(
            ", {} from the cache",
            HumanCount(report.cache_hits)
        ));
    }
    line
}
