//! `chorus assign`: new conversations placed into an earlier run's tree.

use std::path::Path;

use anyhow::Context;

use chorus_pipeline::{Config, TREE_FILE, TreeFile};

use crate::Finished;
use crate::args::AssignArgs;
use crate::report::run_setting;
use crate::run::{Target, chat_model, execute};

pub(crate) fn assign(args: AssignArgs) -> anyhow::Result<Finished> {
    anyhow::ensure!(
        args.input.config.is_none(),
        "chorus assign uses the settings of the run it places conversations into ({}); \
         drop --config (the input flags still apply)",
        args.run_dir.join("run.json").display()
    );
    anyhow::ensure!(
        !same_folder(&args.run_dir, &args.out),
        "-o {} is the earlier run's folder: write the new run to a folder of its own",
        args.out.display()
    );
    let tree = read_tree(&args.run_dir)?;
    let earlier: Config = run_setting(&args.run_dir, "/config")?;
    let mut config = args.input.applied_to(earlier)?;
    if args.cache.is_some() {
        config.store.path.clone_from(&args.cache);
    }
    let inputs = args.input.expanded()?;
    let chat = chat_model(&config, None)?;
    let target = Target {
        inputs: &inputs,
        out: &args.out,
        quiet: args.quiet,
        profile_only: false,
    };
    execute(&config, chat, target, Some(tree))
}

/// The earlier run's tree (`tree.json`), checked whole.
fn read_tree(run_dir: &Path) -> anyhow::Result<TreeFile> {
    let path = run_dir.join(TREE_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read {}: RUN_DIR must be the folder of a finished `chorus run` that \
             clustered conversations (a run made before `chorus assign` existed has none: run it again)",
            path.display()
        )
    })?;
    Ok(TreeFile::parse(&text, &path.display().to_string())?)
}

fn same_folder(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
