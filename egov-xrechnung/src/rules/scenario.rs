//! KoSIT scenarios: which validation applies to a document (exactly one `match` expression must
//! hold), with their XML Schema entry points, schematron steps and severity overrides
//! (`customLevel`).

use std::borrow::Cow;
use std::sync::OnceLock;

use egov_core::xml::Document;
use egov_core::xpath::{DynamicContext, StaticContext, XPath};

use super::data::{field, fields, records, SCENARIOS_TSV};
use super::{data_error, flag_of, Finding, ProcessingError, RuleSet};
use crate::report::Flag;
use crate::Syntax;

/// One schematron step of a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchematronStep {
    /// The schema, e.g. `EN16931-CII-validation`.
    pub schema: String,
    /// The rule layers it covers (`en16931`; `xrechnung`, `peppol`).
    pub layers: Vec<String>,
}

/// A KoSIT validation scenario.
#[derive(Debug)]
pub struct Scenario {
    name: Cow<'static, str>,
    syntax: Syntax,
    match_source: Cow<'static, str>,
    matcher: XPath,
    xml_schemas: Vec<String>,
    steps: Vec<SchematronStep>,
    levels: Vec<(String, Flag)>,
}

/// The outcome of scenario selection.
#[derive(Debug, Clone, Copy)]
pub enum ScenarioSelection<'s> {
    /// Exactly one scenario matched.
    Matched(&'s Scenario),
    /// No scenario matched (KoSIT: `NO-SCENARIO`, rejected).
    NoMatch,
    /// More than one matched (also `NO-SCENARIO`).
    Ambiguous(&'s Scenario, &'s Scenario),
}

impl<'s> ScenarioSelection<'s> {
    /// The scenario when exactly one matched.
    pub fn scenario(&self) -> Option<&'s Scenario> {
        match self {
            ScenarioSelection::Matched(s) => Some(s),
            _ => None,
        }
    }
}

/// The scenarios of the KoSIT XRechnung configuration, in order.
#[derive(Debug)]
pub struct Scenarios {
    list: Vec<Scenario>,
}

impl Scenario {
    /// The name, e.g. `EN16931 XRechnung (UBL Invoice)`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The syntax of documents it validates.
    pub fn syntax(&self) -> Syntax {
        self.syntax
    }

    /// The `match` expression.
    pub fn match_expression(&self) -> &str {
        &self.match_source
    }

    /// XML Schema entry points (paths as in the configuration, e.g.
    /// `xsd/ubl/maindoc/UBL-Invoice-2.1.xsd`).
    pub fn xml_schemas(&self) -> &[String] {
        &self.xml_schemas
    }

    /// The schematron steps, in order.
    pub fn schematron(&self) -> &[SchematronStep] {
        &self.steps
    }

    /// The severity overrides: (rule id, effective flag).
    pub fn custom_levels(&self) -> &[(String, Flag)] {
        &self.levels
    }

    /// True when the scenario's `match` holds for the document.
    pub fn matches(&self, doc: &Document) -> bool {
        let mut ctx = DynamicContext::for_document(doc);
        self.matcher.evaluate_boolean(&mut ctx).unwrap_or(false)
    }

    /// The flag of a finding under this scenario (its `customLevel`, else the source flag).
    pub fn effective_flag(&self, id: &str, flag: Flag) -> Flag {
        self.levels
            .iter()
            .find(|(code, _)| code == id)
            .map_or(flag, |(_, f)| *f)
    }

    /// Sets [`Finding::flag`] of each finding to its effective flag.
    pub fn apply_levels(&self, findings: &mut [Finding]) {
        for f in findings {
            f.flag = self.effective_flag(&f.id, f.source_flag);
        }
    }

    /// Runs the scenario's schematron steps (after a successful XML Schema step) and applies its
    /// severity overrides.
    pub fn run_schematron(&self, doc: &Document) -> Result<Vec<Finding>, ProcessingError> {
        self.run_schematron_in(doc, &mut DynamicContext::for_document(doc))
    }

    /// [`Scenario::run_schematron`] in an evaluation context of `doc` (e.g. the one the
    /// scenario was selected in: its index is built once).
    pub fn run_schematron_in<'a>(
        &'a self,
        doc: &'a Document,
        ctx: &mut DynamicContext<'a>,
    ) -> Result<Vec<Finding>, ProcessingError> {
        let rules = RuleSet::for_syntax(self.syntax).map_err(|e| {
            ProcessingError::new(
                "",
                egov_core::xpath::XPathError {
                    code: "XTSE0000",
                    message: e.to_string(),
                },
                String::new(),
                super::ErrorSite::default(),
            )
        })?;
        let layer_refs: Vec<Vec<&str>> = self
            .steps
            .iter()
            .map(|s| s.layers.iter().map(String::as_str).collect())
            .collect();
        let steps: Vec<(&str, Option<&[&str]>)> = self
            .steps
            .iter()
            .zip(&layer_refs)
            .map(|(s, l)| (s.schema.as_str(), Some(l.as_slice())))
            .collect();
        match rules.run_steps_in(doc, &steps, ctx) {
            Ok(mut f) => {
                self.apply_levels(&mut f);
                Ok(f)
            }
            Err(mut e) => {
                self.apply_levels(&mut e.findings);
                Err(e)
            }
        }
    }
}

impl Scenarios {
    /// The scenarios of KoSIT's XRechnung configuration (compiled once per process).
    pub fn kosit() -> Result<&'static Scenarios, crate::Error> {
        static CELL: OnceLock<Result<Scenarios, crate::Error>> = OnceLock::new();
        CELL.get_or_init(Scenarios::load)
            .as_ref()
            .map_err(Clone::clone)
    }

    fn load() -> Result<Scenarios, crate::Error> {
        struct Raw {
            name: Cow<'static, str>,
            syntax: Syntax,
            matcher: Cow<'static, str>,
            xsd: Vec<String>,
            ns: Vec<(Cow<'static, str>, Cow<'static, str>)>,
            steps: Vec<SchematronStep>,
            levels: Vec<(String, Flag)>,
        }
        let mut raws: Vec<Raw> = Vec::new();
        for (tag, raw) in records(SCENARIOS_TSV) {
            let f = fields(raw);
            match tag {
                "SCENARIO" => {
                    let syntax = field(&f, 1)
                        .parse::<Syntax>()
                        .map_err(|e| data_error(format!("scenarios.tsv: {e}")))?;
                    raws.push(Raw {
                        name: field(&f, 0),
                        syntax,
                        matcher: field(&f, 2),
                        xsd: field(&f, 3)
                            .split(',')
                            .filter(|s| !s.is_empty())
                            .map(str::to_string)
                            .collect(),
                        ns: Vec::new(),
                        steps: Vec::new(),
                        levels: Vec::new(),
                    });
                }
                _ => {
                    let Some(r) = raws.last_mut() else {
                        return Err(data_error(format!("scenarios.tsv: {tag} before SCENARIO")));
                    };
                    match tag {
                        "NS" => r.ns.push((field(&f, 0), field(&f, 1))),
                        "STEP" => r.steps.push(SchematronStep {
                            schema: field(&f, 0).to_string(),
                            layers: field(&f, 1)
                                .split(',')
                                .filter(|s| !s.is_empty())
                                .map(str::to_string)
                                .collect(),
                        }),
                        "LEVEL" => r
                            .levels
                            .push((field(&f, 0).to_string(), flag_of(&field(&f, 1)))),
                        other => {
                            return Err(data_error(format!(
                                "scenarios.tsv: unknown record {other:?}"
                            )))
                        }
                    }
                }
            }
        }
        let mut list = Vec::with_capacity(raws.len());
        for r in raws {
            let mut ctx = StaticContext::new();
            for (p, u) in &r.ns {
                ctx.bind_namespace(p, u);
            }
            let matcher = XPath::compile(&r.matcher, &ctx)?;
            list.push(Scenario {
                name: r.name,
                syntax: r.syntax,
                match_source: r.matcher,
                matcher,
                xml_schemas: r.xsd,
                steps: r.steps,
                levels: r.levels,
            });
        }
        Ok(Scenarios { list })
    }

    /// All scenarios in configuration order.
    pub fn iter(&self) -> impl Iterator<Item = &Scenario> {
        self.list.iter()
    }

    /// The scenario with this name.
    pub fn get(&self, name: &str) -> Option<&Scenario> {
        self.list.iter().find(|s| s.name == name)
    }

    /// Selects the scenario of a document: exactly one `match` must hold (KoSIT), else
    /// `NO-SCENARIO`.
    pub fn select<'a>(&'a self, doc: &'a Document) -> ScenarioSelection<'a> {
        self.select_in(&mut DynamicContext::for_document(doc))
    }

    /// [`Scenarios::select`] in an evaluation context of the document
    /// ([`DynamicContext::for_document`]); indexed ([`DynamicContext::index_document`]), the
    /// matches are decided from the index, and the context can go on to
    /// [`Scenario::run_schematron_in`].
    pub fn select_in<'a>(&'a self, ctx: &mut DynamicContext<'a>) -> ScenarioSelection<'a> {
        let mut found: Option<&Scenario> = None;
        for s in &self.list {
            if s.matcher.evaluate_boolean(ctx).unwrap_or(false) {
                match found {
                    None => found = Some(s),
                    Some(first) => return ScenarioSelection::Ambiguous(first, s),
                }
            }
        }
        match found {
            Some(s) => ScenarioSelection::Matched(s),
            None => ScenarioSelection::NoMatch,
        }
    }
}
