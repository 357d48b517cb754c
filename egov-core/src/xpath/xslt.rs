//! User-defined functions given as XSLT `<xsl:function>` elements (as schematron files carry
//! them): `xsl:param`, `xsl:variable` (with `select`, content or `as`), `xsl:sequence`,
//! `xsl:choose`/`when`/`otherwise`, `xsl:if` and literal text are interpreted; every `select` and
//! `test` is compiled once.

use std::sync::OnceLock;

use super::ast::{Expr, ItemType, Occurrence, SequenceType};
use super::parser::{parse_sequence_type, FnSig, Parser};
use super::plan::{self, Test};
use super::value::AtomicType;
use super::StaticContext;
use crate::xml::{Document, Node};
use crate::Error;

/// The XSLT namespace.
pub const XSLT_NAMESPACE: &str = "http://www.w3.org/1999/XSL/Transform";

#[derive(Debug)]
pub(crate) enum VarValue {
    Select(Expr),
    Content(Vec<Instr>),
}

#[derive(Debug)]
pub(crate) enum Instr {
    Variable {
        slot: usize,
        value: VarValue,
        ty: Option<SequenceType>,
    },
    Sequence(Expr),
    Choose(Vec<(Expr, Vec<Instr>)>, Vec<Instr>),
    If(Expr, Vec<Instr>),
    Text(Box<str>),
}

#[derive(Debug)]
pub(crate) struct UserFunction {
    pub name: String,
    /// (slot, declared type) per parameter.
    pub params: Vec<(usize, Option<SequenceType>)>,
    pub ret: Option<SequenceType>,
    pub body: Vec<Instr>,
    /// Local slots the body needs.
    pub frame: usize,
    /// The [plan](super::plan) of the body as a test, made at the first call from a plan;
    /// `None` when the function is not of the shape plans call (see
    /// [`UserFunction::test_plan`]).
    pub plan: OnceLock<Option<Box<Test>>>,
}

impl UserFunction {
    /// The plan of a function whose value is one boolean computed from its parameters alone:
    /// each parameter declared as exactly one atomic value (the arguments are converted as
    /// the walker converts them), the body one `xsl:sequence` of a boolean expression that
    /// reads no context (`xs:decimal($exp + $slack) >= $val and …`; a function it calls is
    /// called by its own plan, or the walker), the result
    /// `xs:boolean` or undeclared.
    pub(crate) fn test_plan(&self) -> Option<&Test> {
        self.plan
            .get_or_init(|| {
                let [Instr::Sequence(e)] = self.body.as_slice() else {
                    return None;
                };
                let one_atomic = |t: &SequenceType| {
                    matches!(t.item, ItemType::Atomic(_)) && t.occurrence == Occurrence::One
                };
                let typed = self
                    .params
                    .iter()
                    .all(|(_, t)| t.as_ref().is_some_and(one_atomic));
                let returns_boolean = self.ret.as_ref().is_none_or(|t| {
                    t.item == ItemType::Atomic(AtomicType::Boolean)
                        && t.occurrence == Occurrence::One
                });
                (typed && returns_boolean && e.is_boolean() && super::reads_no_context(e, true))
                    .then(|| plan::compile(e).map(Box::new))
                    .flatten()
            })
            .as_deref()
    }
}

/// A library of user-defined functions, compiled from XSLT `function` elements.
///
/// ```
/// use std::sync::Arc;
/// use egov_core::xpath::{FunctionLibrary, StaticContext, XPath, DynamicContext};
///
/// let mut ctx = StaticContext::new();
/// ctx.bind_namespace("u", "utils");
/// let lib = FunctionLibrary::from_xslt(
///     [r#"<function xmlns="http://www.w3.org/1999/XSL/Transform" name="u:twice" as="xs:integer">
///           <param name="x" as="xs:integer"/>
///           <sequence select="$x * 2"/>
///         </function>"#],
///     &ctx,
/// )?;
/// ctx.set_functions(Arc::new(lib));
/// let x = XPath::compile("u:twice(21)", &ctx)?;
/// let mut dynamic = DynamicContext::new();
/// assert_eq!(x.evaluate_string(&mut dynamic).unwrap(), "42");
/// # Ok::<(), egov_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct FunctionLibrary {
    pub(crate) sigs: Vec<FnSig>,
    pub(crate) funcs: Vec<UserFunction>,
}

fn xerr(source: &str, message: impl Into<String>) -> Error {
    Error::XPath {
        expression: source.to_string(),
        offset: 0,
        message: message.into(),
    }
}

struct BodyCompiler<'c> {
    ctx: &'c StaticContext,
    sigs: &'c [FnSig],
    scopes: Vec<(String, usize)>,
    next_slot: usize,
    frame: usize,
    source: &'c str,
}

impl BodyCompiler<'_> {
    fn expr(&mut self, src: &str) -> Result<Expr, Error> {
        let mut p = Parser::new(src, self.ctx, self.sigs, &self.scopes, self.next_slot)?;
        let e = p.parse_all()?;
        self.frame = self.frame.max(p.max_slot);
        Ok(e)
    }

    fn seq_type(&self, n: Node<'_>) -> Result<Option<SequenceType>, Error> {
        n.attribute("as")
            .map(|t| parse_sequence_type(t, self.ctx))
            .transpose()
    }

    /// Compiles the children of `parent` (skipping `xsl:param` at function level).
    fn instrs(&mut self, parent: Node<'_>, skip_params: bool) -> Result<Vec<Instr>, Error> {
        let mut out = Vec::new();
        let scope_len = self.scopes.len();
        for c in parent.children() {
            if c.is_text() {
                let t = c.value();
                if !t.trim().is_empty() {
                    out.push(Instr::Text(t.into()));
                }
                continue;
            }
            if !c.is_element() {
                continue;
            }
            if c.namespace() != XSLT_NAMESPACE {
                return Err(xerr(
                    self.source,
                    format!(
                        "literal result element <{}> is not supported in functions",
                        c.qualified_name()
                    ),
                ));
            }
            let select = |n: Node<'_>, attr: &str| -> Result<String, Error> {
                n.attribute(attr).map(str::to_string).ok_or_else(|| {
                    xerr(
                        self.source,
                        format!("<{}> needs @{attr}", n.qualified_name()),
                    )
                })
            };
            match c.local_name() {
                "variable" => {
                    let name = select(c, "name")?;
                    let ty = self.seq_type(c)?;
                    let value = match c.attribute("select") {
                        Some(s) => VarValue::Select(self.expr(s)?),
                        None => VarValue::Content(self.instrs(c, false)?),
                    };
                    let slot = self.next_slot;
                    self.next_slot += 1;
                    self.frame = self.frame.max(self.next_slot);
                    self.scopes.push((name, slot));
                    out.push(Instr::Variable { slot, value, ty });
                }
                "sequence" => {
                    let s = select(c, "select")?;
                    out.push(Instr::Sequence(self.expr(&s)?));
                }
                "value-of" => {
                    let s = select(c, "select")?;
                    // value-of: a text node of the string-joined values
                    let joined = format!("string-join(for $__v in ({s}) return string($__v), ' ')");
                    out.push(Instr::Sequence(self.expr(&joined)?));
                }
                "choose" => {
                    let mut whens = Vec::new();
                    let mut otherwise = Vec::new();
                    for w in c.element_children() {
                        match w.local_name() {
                            "when" => {
                                let t = select(w, "test")?;
                                let test = self.expr(&t)?;
                                whens.push((test, self.instrs(w, false)?));
                            }
                            "otherwise" => otherwise = self.instrs(w, false)?,
                            other => {
                                return Err(xerr(
                                    self.source,
                                    format!("unexpected <{other}> in xsl:choose"),
                                ))
                            }
                        }
                    }
                    out.push(Instr::Choose(whens, otherwise));
                }
                "if" => {
                    let t = select(c, "test")?;
                    let test = self.expr(&t)?;
                    out.push(Instr::If(test, self.instrs(c, false)?));
                }
                "text" => {
                    out.push(Instr::Text(c.text().into()));
                }
                "param" if skip_params => {}
                "param" => {
                    return Err(xerr(
                        self.source,
                        "xsl:param is only allowed at the start of a function",
                    ));
                }
                other => {
                    return Err(xerr(
                        self.source,
                        format!("xsl:{other} is not supported in functions"),
                    ))
                }
            }
        }
        self.scopes.truncate(scope_len);
        Ok(out)
    }
}

impl FunctionLibrary {
    /// An empty library.
    pub fn new() -> Self {
        Self::default()
    }

    /// Compiles XSLT `function` elements (each a complete element, in the XSLT namespace by
    /// default namespace or an `xsl:` prefix). Function names and types resolve with the
    /// namespaces of `ctx`; functions may call each other (also recursively).
    pub fn from_xslt<'s>(
        functions: impl IntoIterator<Item = &'s str>,
        ctx: &StaticContext,
    ) -> Result<FunctionLibrary, Error> {
        let mut fctx = ctx.clone();
        fctx.clear_variables();
        fctx.clear_functions();
        let mut docs = Vec::new();
        for src in functions {
            // declare the XSLT prefix and the context's prefixes around the fragment
            let mut wrapped = format!("<w xmlns:xsl=\"{XSLT_NAMESPACE}\"");
            for (p, uri) in ctx.namespaces() {
                if p == "xsl" || p == "xml" || p.is_empty() {
                    continue;
                }
                wrapped.push_str(&format!(" xmlns:{p}=\"{}\"", uri.replace('"', "&quot;")));
            }
            wrapped.push('>');
            wrapped.push_str(src);
            wrapped.push_str("</w>");
            let doc = Document::parse_default(wrapped.as_bytes())
                .map_err(|e| xerr(src, format!("function body is not well-formed XML: {e}")))?;
            docs.push((src, doc));
        }
        // pass 1: signatures
        let mut sigs = Vec::new();
        for (src, doc) in &docs {
            let f = doc
                .root_element()
                .element_children()
                .next()
                .filter(|f| f.has_name(XSLT_NAMESPACE, "function"))
                .ok_or_else(|| xerr(src, "expected an xsl:function element"))?;
            let name = f
                .attribute("name")
                .ok_or_else(|| xerr(src, "xsl:function needs @name"))?;
            let (p, local) = name
                .split_once(':')
                .ok_or_else(|| xerr(src, "a function name needs a prefix"))?;
            let ns = ctx
                .namespace(p)
                .ok_or_else(|| xerr(src, format!("undeclared prefix {p:?}")))?;
            let arity = f
                .element_children()
                .filter(|c| c.has_name(XSLT_NAMESPACE, "param"))
                .count();
            if sigs
                .iter()
                .any(|s: &FnSig| s.namespace == ns && s.local == local && s.arity == arity)
            {
                return Err(xerr(src, format!("function {name}#{arity} declared twice")));
            }
            sigs.push(FnSig {
                namespace: ns.to_string(),
                local: local.to_string(),
                arity,
            });
        }
        // pass 2: bodies
        let mut funcs = Vec::new();
        for (src, doc) in &docs {
            let Some(f) = doc.root_element().element_children().next() else {
                continue;
            };
            let mut bc = BodyCompiler {
                ctx: &fctx,
                sigs: &sigs,
                scopes: Vec::new(),
                next_slot: 0,
                frame: 0,
                source: src,
            };
            let mut params = Vec::new();
            let mut body_start = None;
            for (i, c) in f.element_children().enumerate() {
                if c.has_name(XSLT_NAMESPACE, "param") {
                    if body_start.is_some() {
                        return Err(xerr(src, "xsl:param after other instructions"));
                    }
                    let pname = c
                        .attribute("name")
                        .ok_or_else(|| xerr(src, "xsl:param needs @name"))?;
                    let slot = bc.next_slot;
                    bc.next_slot += 1;
                    bc.scopes.push((pname.to_string(), slot));
                    params.push((slot, bc.seq_type(c)?));
                } else if body_start.is_none() {
                    body_start = Some(i);
                }
            }
            bc.frame = bc.next_slot;
            // the body: everything but the params (parse the whole element, skipping params)
            let body = bc.instrs(f, true)?;
            let ret = bc.seq_type(f)?;
            funcs.push(UserFunction {
                name: f.attribute("name").unwrap_or("?").to_string(),
                params,
                ret,
                body,
                frame: bc.frame,
                plan: OnceLock::new(),
            });
        }
        Ok(FunctionLibrary { sigs, funcs })
    }

    pub(crate) fn get(&self, idx: usize) -> Option<&UserFunction> {
        self.funcs.get(idx)
    }

    /// Number of functions.
    pub fn len(&self) -> usize {
        self.funcs.len()
    }

    /// True when there are no functions.
    pub fn is_empty(&self) -> bool {
        self.funcs.is_empty()
    }

    /// Names of the functions (`prefix:local` as declared).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.funcs.iter().map(|f| f.name.as_str())
    }
}
