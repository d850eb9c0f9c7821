//! The stages the pipeline runs today. Later stages (LLM facets, embeddings, clustering) join
//! here and never learn which backend computes them.

use chorus_facets::{PROFILE_VERSION, Profile, profile};
use chorus_types::{ContentHash, Conversation};

use crate::ItemStage;

/// The computed facets of each conversation: turns, lengths, language, day.
pub struct ProfileStage;

impl ItemStage for ProfileStage {
    type Input = Conversation;
    type Output = Profile;

    fn name(&self) -> &'static str {
        "profile"
    }

    fn version(&self) -> u32 {
        PROFILE_VERSION
    }

    fn input_hash(&self, conversation: &Conversation) -> ContentHash {
        conversation.content_hash()
    }

    fn compute(&self, conversation: &Conversation) -> Profile {
        profile(conversation)
    }
}
