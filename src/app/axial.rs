//! Axial coding and the weekly cadence as the window runs them: LLM proposals in batches, accepting a reviewed proposal, drawing a review batch, the chart options.

use super::*;

/// The vectors of each request of a proposal by embeddings, as they arrive.
pub(super) type Slots = Arc<std::sync::Mutex<Vec<Option<Vec<Vec<f32>>>>>>;

impl ErrataApp {
    pub(super) fn draw_sample(
        &mut self,
        ctx: &egui::Context,
        req: &crate::coding::sampling::SampleRequest,
    ) {
        if self.remote.is_some() {
            return self.sample_remote(req);
        }
        match self
            .ws
            .draw_sample(req, &crate::coding::time::now_rfc3339())
        {
            Ok(drawn) => {
                self.notices.push(Notice {
                    text: format!(
                        "drew {} of {} unreviewed traces in the view into batch {} (seed {})",
                        drawn.n, drawn.candidates, drawn.name, req.seed
                    ),
                    error: false,
                });
                self.apply(ctx, Action::SetBatch(Some(drawn.name)));
            }
            Err(e) => self.error(e),
        }
    }

    /// Embeds the notes and tags (in requests of up to 256 texts, side by side) and groups them
    /// by the vectors; an LLM, when one is set up, names the groups.
    pub(super) fn propose_embeddings(&mut self, ctx: &egui::Context) {
        use crate::llm::embeddings::{self, TEXTS_PER_REQUEST};
        let Some(project) = &self.ws.project else {
            return;
        };
        let input = project.axial_input();
        if input.is_empty() {
            self.axial.error =
                Some("no notes or tags yet: write some while reading traces (e, t)".to_owned());
            return;
        }
        // the codebook's described categories keep their names
        let described: Vec<String> = project
            .codebook
            .categories
            .iter()
            .filter(|c| !c.description.trim().is_empty())
            .map(|c| c.name.clone())
            .collect();
        let namer = self
            .axial
            .provider
            .is_set_up()
            .then(|| self.axial.provider.clone());
        let endpoint = self.axial.embeddings.clone();
        let texts = input.texts();
        let chunks: Vec<Vec<String>> = texts
            .chunks(TEXTS_PER_REQUEST)
            .map(<[String]>::to_vec)
            .collect();
        let (tx, rx) = mpsc::channel();
        let slots: Slots = Arc::new(std::sync::Mutex::new(vec![None; chunks.len()]));
        let failed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let shared = Arc::new((input, described, namer));
        for (i, chunk) in chunks.into_iter().enumerate() {
            let (tx, slots, failed, shared) =
                (tx.clone(), slots.clone(), failed.clone(), shared.clone());
            let (repaint, url, n) = (ctx.clone(), endpoint.full_url(), chunk.len());
            crate::net::fetch(
                endpoint.request(&chunk),
                crate::net::LLM_BODY_LIMIT,
                move |r| {
                    let vectors =
                        r.and_then(|resp| embeddings::parse(resp.status, &resp.bytes, n, &url));
                    let all = match vectors {
                        Err(e) => {
                            if !failed.swap(true, std::sync::atomic::Ordering::SeqCst) {
                                let _ = tx.send(Err(e));
                                repaint.request_repaint();
                            }
                            return;
                        }
                        Ok(v) => {
                            let mut s = slots
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner);
                            s[i] = Some(v);
                            if !s.iter().all(Option::is_some) {
                                return;
                            }
                            s.iter_mut()
                                .flat_map(|x| x.take().unwrap_or_default())
                                .collect::<Vec<Vec<f32>>>()
                        }
                    };
                    let (input, described, namer) = &*shared;
                    let proposal = crate::coding::cluster::propose(input.clone(), Some(&all));
                    let done = move |result: EmbedResult| {
                        let _ = tx.send(result);
                        repaint.request_repaint();
                    };
                    match namer {
                        Some(provider) => name_groups(provider, proposal, described, done),
                        None => done(Ok((proposal, None))),
                    }
                },
            );
        }
        self.propose_job = None;
        self.propose_rx = None;
        self.embed_rx = Some(rx);
        self.axial.waiting = true;
        self.axial.error = None;
        self.axial.status = Some(format!("asking {}", endpoint.label()));
    }

    pub(super) fn propose_llm(&mut self, ctx: &egui::Context) {
        let notes = self
            .ws
            .project
            .as_ref()
            .map(Project::notes)
            .unwrap_or_default();
        if notes.is_empty() {
            self.axial.error = Some("no notes yet: write some while reading traces (e)".to_owned());
            return;
        }
        let mut batches: std::collections::VecDeque<Vec<String>> =
            crate::llm::proposal::batches(&notes, LLM_BATCH_CHARS).into();
        let Some(first) = batches.pop_front() else {
            return;
        };
        self.propose_job = Some(ProposeJob {
            all_notes: notes,
            remaining: batches,
            acc: Default::default(),
        });
        self.send_batch(ctx, first);
        self.axial.waiting = true;
        self.axial.error = None;
    }

    /// Sends one batch of notes; the codebook's and the running proposal's categories go along.
    pub(super) fn send_batch(&mut self, ctx: &egui::Context, batch: Vec<String>) {
        let mut existing: Vec<(String, String)> = self
            .ws
            .project
            .as_ref()
            .map(|p| {
                p.codebook
                    .categories
                    .iter()
                    .map(|c| (c.name.clone(), c.description.clone()))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(job) = &self.propose_job {
            existing.extend(
                job.acc
                    .categories
                    .iter()
                    .map(|c| (c.name.clone(), c.description.clone())),
            );
        }
        let provider = self.axial.provider.clone();
        let tags = self
            .ws
            .project
            .as_ref()
            .map(Project::tags)
            .unwrap_or_default();
        let mut request = provider.request(&crate::llm::proposal::prompt(&batch, &existing));
        request.timeout = Some(std::time::Duration::from_secs(120));
        let (tx, rx) = mpsc::channel();
        let repaint = ctx.clone();
        crate::net::fetch(request, crate::net::LLM_BODY_LIMIT, move |result| {
            let r = match result {
                Ok(resp) => crate::llm::client::answer_text(provider.api, &resp).and_then(|text| {
                    let mut p =
                        crate::llm::proposal::parse(&text, &batch).map_err(|e| e.to_string())?;
                    p.keep_known_tags(&tags);
                    Ok(p)
                }),
                Err(e) => Err(e),
            };
            let _ = tx.send(r);
            repaint.request_repaint();
        });
        self.propose_rx = Some(rx);
    }

    /// Accepts the reviewed proposal: its new categories enter the codebook as one version, and
    /// each trace whose note a category claims gets that category as a suggestion.
    pub(super) fn accept_proposal(&mut self) {
        let Some((proposal, source)) = self.axial.proposal.take() else {
            return;
        };
        let author = self.settings.author.clone();
        let at = crate::coding::time::now_rfc3339();
        let Some(project) = &mut self.ws.project else {
            return;
        };
        let (r, added, n) = project.accept_proposal(&proposal, &source, &author, &at);
        let version = project.codebook.version;
        self.report(r);
        self.notices.push(Notice {
            text: format!(
                "codebook v{version}: {}; {} to confirm (y) or reject (r)",
                crate::workspace::count_of(added, "new category", "new categories"),
                crate::workspace::count_of(n, "trace has suggestions", "traces have suggestions"),
            ),
            error: false,
        });
    }

    /// The chart panel's options, as the workspace takes them.
    pub(super) fn chart_options(&self) -> ChartOptions {
        ChartOptions {
            measure: self.pareto_ui.measure,
            include_zero: self.pareto_ui.include_zero,
            scope_view: self.pareto_ui.scope_view,
            by_period: self.pareto_ui.by_week,
        }
    }

    /// The Pareto of the chart's scope (see [`crate::workspace::Workspace::pareto`]).
    pub fn pareto(&self) -> crate::coding::pareto::Pareto {
        self.ws.pareto(&self.chart_options())
    }

    /// The Pareto per batch or week (see [`crate::workspace::Workspace::pareto_by_period`]).
    pub fn pareto_by_week(&self) -> Vec<(String, crate::coding::pareto::Pareto)> {
        self.ws.pareto_by_period(self.pareto_ui.measure)
    }

    /// The Markdown report of the current chart.
    pub fn report_markdown(&self) -> String {
        self.ws
            .report_markdown(&self.chart_options(), &crate::coding::time::now_rfc3339())
    }
}

/// Asks the LLM to name the groups of a proposal by embeddings (the codebook's `described`
/// categories keep theirs); when it cannot, the lexical names stay and a warning says why.
fn name_groups(
    provider: &crate::llm::client::Provider,
    mut proposal: crate::llm::proposal::Proposal,
    described: &[String],
    done: impl FnOnce(EmbedResult) + Send + 'static,
) {
    let at: Vec<usize> = (0..proposal.categories.len())
        .filter(|&i| !described.contains(&proposal.categories[i].name))
        .collect();
    let mut groups: Vec<_> = at.iter().map(|&i| proposal.categories[i].clone()).collect();
    let mut request = provider.request(&crate::llm::proposal::naming_prompt(&groups));
    request.timeout = Some(std::time::Duration::from_secs(120));
    let api = provider.api;
    crate::net::fetch(request, crate::net::LLM_BODY_LIMIT, move |r| {
        let named = r
            .and_then(|resp| crate::llm::client::answer_text(api, &resp))
            .and_then(|text| {
                crate::llm::proposal::apply_names(&text, &mut groups).map_err(|e| e.to_string())
            });
        let warning = match named {
            Ok(()) => {
                for (g, &i) in groups.into_iter().zip(&at) {
                    proposal.categories[i] = g;
                }
                None
            }
            Err(e) => Some(format!(
                "the LLM could not name the groups, so they keep their own names: {e}"
            )),
        };
        done(Ok((proposal, warning)));
    });
}
