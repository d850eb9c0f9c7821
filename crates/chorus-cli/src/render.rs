//! Plain-text tables for people. Machines read `--json` or the files a run writes.

use chorus_facets::{DatasetStats, Distribution};
use chorus_ingest::{FileReport, IngestTotals};
use indicatif::{HumanBytes, HumanCount};

fn count(n: u64) -> String {
    HumanCount(n).to_string()
}

fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0%".into();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

fn distribution(d: &Distribution) -> String {
    format!(
        "min {}  median {}  p90 {}  p99 {}  max {}  mean {:.1}",
        count(d.min),
        count(d.p50),
        count(d.p90),
        count(d.p99),
        count(d.max),
        d.mean
    )
}

const BAR_WIDTH: u64 = 30;

pub(crate) fn print_dataset(stats: &DatasetStats) {
    let total = stats.conversations;
    println!("conversations    {}", count(total));
    if stats.users > 0 {
        println!(
            "users            {} distinct ({} conversations without a user id)",
            count(stats.users),
            count(stats.without_user)
        );
    } else {
        println!("users            none recorded");
    }
    match (stats.first_day, stats.last_day) {
        (Some(first), Some(last)) => println!(
            "time span        {first} to {last} ({} conversations without a time)",
            count(stats.without_time)
        ),
        _ => println!("time span        none recorded"),
    }
    println!("turns            {}", distribution(&stats.turns));
    let mut buckets: Vec<(&String, &u64)> = stats.turns_histogram.iter().collect();
    buckets.sort_by_key(|(bucket, _)| {
        bucket
            .trim_end_matches('+')
            .parse::<u32>()
            .unwrap_or(u32::MAX)
    });
    let largest = buckets.iter().map(|(_, n)| **n).max().unwrap_or(1).max(1);
    for (bucket, n) in buckets {
        let width = (n * BAR_WIDTH).div_ceil(largest) as usize;
        println!(
            "  {bucket:>4} turns   {:<30} {} ({})",
            "█".repeat(width),
            count(*n),
            share(*n, total)
        );
    }
    println!("messages         {}", distribution(&stats.messages));
    println!("characters       {}", distribution(&stats.chars));
    println!("user characters  {}", distribution(&stats.user_chars));
    if stats.placeholders > 0 {
        println!("non-text parts   {}", count(stats.placeholders));
    }
    let mut languages: Vec<(&String, &u64)> = stats.languages.iter().collect();
    languages.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let listed: Vec<String> = languages
        .iter()
        .take(8)
        .map(|(name, n)| format!("{name} {} ({})", count(**n), share(**n, total)))
        .collect();
    let more = languages.len().saturating_sub(8);
    let suffix = if more > 0 {
        format!(", {more} more")
    } else {
        String::new()
    };
    println!("languages        {}{suffix}", listed.join(", "));
    if let Some(labels) = &stats.labels {
        println!(
            "labels           {} distinct in field {:?} ({} conversations without it)",
            count(labels.distinct),
            labels.field,
            count(labels.missing)
        );
    }
}

pub(crate) fn print_ingest_summary(summary: &IngestTotals, files: &[FileReport]) {
    println!();
    println!(
        "{:<44} {:<15} {:>5} {:>10} {:>9} {:>9} {:>9}",
        "input", "format", "comp", "size", "records", "accepted", "rejected"
    );
    for file in files {
        let format = file.format.map_or("-".to_string(), |f| f.to_string());
        println!(
            "{:<44} {:<15} {:>5} {:>10} {:>9} {:>9} {:>9}",
            shorten(&file.source, 44),
            format,
            file.compression.as_deref().unwrap_or("-"),
            HumanBytes(file.bytes).to_string(),
            count(file.records),
            count(file.accepted),
            count(file.rejected)
        );
    }
    println!(
        "records read {}: accepted {}, duplicates dropped {}, rejected {}",
        count(summary.records_read),
        count(summary.accepted),
        count(summary.duplicates),
        count(summary.rejected)
    );
    for (reason, n) in &summary.rejected_by_reason {
        println!("  rejected {:<24} {}", reason.code(), count(*n));
    }
    if summary.messages_truncated > 0 {
        println!(
            "  {} messages truncated to ingest.max_message_chars",
            count(summary.messages_truncated)
        );
    }
    if summary.empty_messages_removed > 0 {
        println!(
            "  {} empty messages removed",
            count(summary.empty_messages_removed)
        );
    }
    if summary.times_before_2000 > 0 {
        println!(
            "  warning: {} conversations are dated before 2000; is the time field a time, and \
             in the unit read (numbers below 1e11 are Unix seconds, then milliseconds, then \
             microseconds)?",
            count(summary.times_before_2000)
        );
    }
    if summary.log_events_without_words > 0 {
        println!(
            "  {} log records held no words of a conversation (token counts, summaries, spans \
             of no model call, runs inside a trace)",
            count(summary.log_events_without_words)
        );
    }
    if summary.ids_namespaced > 0 {
        println!(
            "  {} ids an earlier file used for other conversations kept as FILE/ID",
            count(summary.ids_namespaced)
        );
    }
}

/// Keeps the end of a long path, where the file name is.
fn shorten(text: &str, width: usize) -> String {
    let chars = text.chars().count();
    if chars <= width {
        return text.to_string();
    }
    let tail: String = text.chars().skip(chars - (width - 1)).collect();
    format!("…{tail}")
}
