//! LLM-assisted axial coding: the prompt, the tolerant parser of the answer, and provider
//! requests over ehttp.

pub mod client;
pub mod embeddings;
pub mod proposal;
