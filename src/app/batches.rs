//! Traces added to an open dump as batches ("Add traces…"): the append job, its result, the
//! batches a project keeps brought back when the dump is opened again.

use super::*;

impl ErrataApp {
    /// Adds `sources` to the open dump as `batch` (duplicates by identity are skipped). With
    /// `mapping`, the new files' fields are read with it and rewritten to the dump's; without,
    /// the dump's mapping is reused, and a file shaped otherwise is handed back to be mapped.
    pub(super) fn start_append(
        &mut self,
        ctx: &egui::Context,
        sources: Vec<Source>,
        batch: String,
        mapping: Option<FieldMapping>,
    ) {
        let Some(d) = &self.ws.data else { return };
        let store = d.store.clone();
        let key = d.key.clone();
        let label = format!("traces for batch {batch}");
        self.run_job(ctx, label, key, Arc::new(Progress::default()), move |p| {
            use crate::trace::append::{AppendError, append};
            let retry = if mapping.is_none() {
                sources.clone()
            } else {
                Vec::new()
            };
            match append(
                &store,
                sources,
                &batch,
                mapping.as_ref(),
                p,
                worker_threads(),
            ) {
                Ok((loaded, stats)) => Ok(Finished::Append {
                    loaded,
                    stats,
                    batch,
                    restored: false,
                }),
                Err(AppendError::ShapeDiffers(diff)) => {
                    Ok(Finished::AppendNeedsMapping(diff, retry, batch))
                }
                Err(AppendError::Load(e)) => Err(e),
            }
        });
    }

    /// Re-adds the traces the project keeps from earlier "Add traces…" (after the dump opened).
    pub(super) fn restore_added(&mut self, ctx: &egui::Context) {
        self.restore_added = false;
        let (Some(d), Some(p)) = (&self.ws.data, &self.ws.project) else {
            return;
        };
        let (sources, errors) = p.store.added_sources(&p.file);
        let store = d.store.clone();
        let key = d.key.clone();
        for e in errors {
            self.error(format!("the added traces could not be read back: {e}"));
        }
        if sources.is_empty() {
            return;
        }
        let label = "traces added in earlier batches".to_owned();
        self.run_job(ctx, label, key, Arc::new(Progress::default()), move |p| {
            let mapping = store.mapping.clone();
            crate::trace::append::append(&store, sources, "", Some(&mapping), p, worker_threads())
                .map(|(loaded, stats)| Finished::Append {
                    loaded,
                    stats,
                    batch: String::new(),
                    restored: true,
                })
                .map_err(|e| match e {
                    crate::trace::append::AppendError::Load(e) => e,
                    other => load::LoadError::Polars(polars::prelude::PolarsError::ComputeError(
                        other.to_string().into(),
                    )),
                })
        });
    }

    /// The project's kept batches are back in the open dump (`n` traces): nothing to restore.
    pub(super) fn restored(&mut self, n: usize, batches: &[String]) {
        self.restore_added = false;
        if n > 0 {
            self.notices.push(Notice {
                text: format!(
                    "{n} traces added earlier are back (batches {})",
                    batches.join(", ")
                ),
                error: false,
            });
        }
    }

    pub(super) fn finish_append(
        &mut self,
        loaded: Loaded,
        stats: crate::trace::append::Appended,
        key: String,
        batch: &str,
        restored: bool,
    ) {
        self.finish_load(loaded, key, 0.0);
        self.restore_added = false;
        let n = stats.added.len();
        if restored {
            let names: Vec<String> = stats.kept.iter().map(|(b, _)| b.clone()).collect();
            self.restored(n, &names);
            return;
        }
        self.adding_open = false;
        if let Some(p) = &mut self.ws.project
            && n > 0
        {
            // keep the records, so that reopening the dump brings them back
            for (name, text) in &stats.kept {
                if let Err(e) = p.store.append_added(name, text) {
                    self.notices.push(Notice {
                        text: format!(
                            "the added traces are shown but could not be kept for the next \
                             open: {e}"
                        ),
                        error: true,
                    });
                }
            }
            match p.file.batches.iter_mut().find(|b| b.name == batch) {
                // a second file added to the same batch joins it
                Some(b) if b.is_added() => b.trace_ids.extend(stats.added),
                _ => {
                    p.file.batches.retain(|b| b.name != batch);
                    p.file.batches.push(crate::coding::sampling::Batch {
                        name: batch.to_owned(),
                        seed: 0,
                        strategy: crate::coding::sampling::ADDED.to_owned(),
                        trace_ids: stats.added,
                        at: crate::coding::time::now_rfc3339(),
                    });
                }
            }
            let r = p.store.save_project(&p.file);
            self.report(r);
        }
        self.notices.push(Notice {
            text: format!(
                "added {n} traces as batch {batch} (column `batch`); {} already in the dump \
                 were skipped{}",
                stats.duplicates,
                if stats.skipped_lines > 0 {
                    format!(", {} unreadable lines", stats.skipped_lines)
                } else {
                    String::new()
                }
            ),
            error: false,
        });
        self.recount_unknown();
    }
}

/// Loads a dump with the traces its project keeps from earlier batches, each file parsed once.
/// When the batches would change what the dump's traces are (their ids no longer unique, or
/// spans grouped into traces across files), the dump is loaded alone and the batches are
/// re-added after it, duplicates skipped.
#[cfg(not(target_arch = "wasm32"))]
pub(super) fn load_with_added(
    sources: Vec<Source>,
    added: Vec<Source>,
    mapping: Option<FieldMapping>,
    p: &Progress,
    started: std::time::Instant,
) -> Result<Finished, load::LoadError> {
    let ms = || started.elapsed().as_secs_f64() * 1e3;
    if added.is_empty() {
        return load::load(sources, mapping, p, worker_threads()).map(|l| Finished::Load(l, ms()));
    }
    let dump_files = sources.len();
    let batches: Vec<String> = added.iter().filter_map(|s| s.batch.clone()).collect();
    let all: Vec<Source> = sources.into_iter().chain(added).collect();
    let loaded = load::load(all, mapping.clone(), p, worker_threads())?;
    let store = &loaded.store;
    if store.span_index().is_none() && matches!(store.identity, crate::trace::Identity::Field(_)) {
        let added = (0..store.len())
            .filter(|&r| store.file_of(r) >= dump_files)
            .count();
        return Ok(Finished::Reopened {
            loaded,
            ms: ms(),
            batches,
            added,
        });
    }
    let dump: Vec<Source> = store.sources().into_iter().take(dump_files).collect();
    drop(loaded);
    load::load(dump, mapping, p, worker_threads()).map(|l| Finished::Load(l, ms()))
}
