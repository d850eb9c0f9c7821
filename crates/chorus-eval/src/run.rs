//! A finished run, as its files say: `report.json`, `run.json` and `conversations.parquet`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use chorus_report::{Report, ReportNode};

use crate::EvalError;

/// One clustered conversation from `conversations.parquet`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunRow {
    /// Its id.
    pub id: String,
    /// Its account, when it had one.
    pub user_id: Option<String>,
    /// Cluster ids from the top level to the base, `/`-separated.
    pub cluster_path: String,
    /// The detected language.
    pub language: Option<String>,
    /// The concern level (1–5).
    pub concern: Option<u8>,
    /// Its day (`YYYY-MM-DD`).
    pub day: Option<String>,
    /// Its user turns.
    pub turns: Option<u32>,
}

impl RunRow {
    /// The base cluster.
    pub fn base(&self) -> &str {
        self.cluster_path.rsplit('/').next().unwrap_or("")
    }

    /// The cluster `depth` steps below the top level (the base when the path is shorter).
    pub fn at_depth(&self, depth: usize) -> &str {
        self.cluster_path
            .split('/')
            .nth(depth)
            .unwrap_or_else(|| self.base())
    }

    /// Levels in its path.
    pub fn levels(&self) -> usize {
        self.cluster_path.split('/').count()
    }
}

/// What a run folder holds for evaluation.
pub struct RunFiles {
    /// `report.json`, read through the published schema.
    pub report: Report,
    /// `run.json`.
    pub manifest: Value,
    /// Every row of `conversations.parquet`.
    pub rows: Vec<RunRow>,
}

/// Every published node of `report.json`'s tree (the root and the "Other" nodes left out).
pub fn published_nodes(report: &Report) -> Vec<&ReportNode> {
    let mut stack: Vec<&ReportNode> = report.tree.children.iter().collect();
    let mut nodes = Vec::new();
    while let Some(node) = stack.pop() {
        stack.extend(&node.children);
        if !node.other {
            nodes.push(node);
        }
    }
    nodes
}

fn read_json(path: PathBuf) -> Result<Value, EvalError> {
    let bytes = std::fs::read(&path).map_err(|source| EvalError::Read {
        path: path.clone(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|error| EvalError::Run {
        path,
        message: error.to_string(),
    })
}

/// Reads a run folder written by `chorus run`.
pub fn read_run(dir: &Path) -> Result<RunFiles, EvalError> {
    let report_path = dir.join("report.json");
    let report: Report =
        serde_json::from_value(read_json(report_path.clone())?).map_err(|error| {
            EvalError::Run {
                path: report_path,
                message: format!("not a chorus report: {error}"),
            }
        })?;
    let manifest = read_json(dir.join("run.json"))?;
    let table = dir.join("conversations.parquet");
    let bytes = std::fs::read(&table).map_err(|source| EvalError::Run {
        path: table.clone(),
        message: format!(
            "{source}; evaluation needs the per-conversation table, which a run with privacy.aggregate_only = true does not write"
        ),
    })?;
    let rows = chorus_parquet::Rows::open(bytes)
        .and_then(|rows| rows.collect::<Result<Vec<Value>, _>>())
        .map_err(|error| EvalError::Run {
            path: table.clone(),
            message: error.to_string(),
        })?;
    let text = |row: &Value, key: &str| row[key].as_str().map(str::to_string);
    let rows = rows
        .iter()
        .map(|row| RunRow {
            id: text(row, "id").unwrap_or_default(),
            user_id: text(row, "user_id"),
            cluster_path: text(row, "cluster_path").unwrap_or_default(),
            language: text(row, "language"),
            concern: row["concern"].as_u64().map(|c| c.min(5) as u8),
            day: text(row, "day"),
            turns: row["turns"].as_u64().map(|t| t as u32),
        })
        .collect();
    Ok(RunFiles {
        report,
        manifest,
        rows,
    })
}
