//! The bundled demo dump, embedded so that the native and the web build both open on it.
//! It is `synth::jsonl(DEMO_TRACES, DEMO_SEED)`; a test keeps the file and the generator in step.

/// Number of traces in the demo dump.
pub const DEMO_TRACES: usize = 300;
/// Seed of the demo dump.
pub const DEMO_SEED: u64 = 7;
/// File name shown for the demo.
pub const DEMO_NAME: &str = "demo_traces.jsonl";
/// The demo dump's bytes.
pub const DEMO_JSONL: &[u8] = include_bytes!("../assets/demo_traces.jsonl");
