//! Fuzzes the XPath engine: compiling and evaluating arbitrary expressions (and XSLT patterns)
//! over a small fixed document must never panic — static errors and dynamic errors are values —
//! and a test's or a pattern predicate's plan must answer as the tree walker does (with and
//! without the document index), and a pattern answers for a node whose shape it matches as it
//! does when matched whole; where the expression's absence guard holds for the document, it
//! must evaluate to true (the document has codes and repeated children for the guards on values
//! and repetitions). Expressions may call a few user functions.
#![no_main]

use egov_core::xml::Document;
use std::sync::{Arc, OnceLock};

use egov_core::xpath::{
    DynamicContext, FunctionLibrary, Item, NamePresence, Pattern, StaticContext, XNode, XPath,
};
use libfuzzer_sys::fuzz_target;

/// User functions for expressions to call (`u:slack` as the Peppol rules have it; one calling
/// another; one without a test plan).
const FUNCTIONS: &[&str] = &[
    r#"<xsl:function name="u:slack" as="xs:boolean"><xsl:param name="exp" as="xs:decimal"/><xsl:param name="val" as="xs:decimal"/><xsl:param name="slack" as="xs:decimal"/><xsl:sequence select="xs:decimal($exp + $slack) &gt;= $val and xs:decimal($exp - $slack) &lt;= $val"/></xsl:function>"#,
    r#"<xsl:function name="u:small"><xsl:param name="v" as="xs:integer"/><xsl:sequence select="$v &lt; 100"/></xsl:function>"#,
    r#"<xsl:function name="u:big" as="xs:boolean"><xsl:param name="v" as="xs:integer"/><xsl:sequence select="$v &gt; 5 and u:small($v)"/></xsl:function>"#,
    r#"<xsl:function name="u:untyped"><xsl:param name="v"/><xsl:sequence select="string-length($v) &gt; 2"/></xsl:function>"#,
];

/// The static context of the expressions (the library compiled once).
fn static_context() -> StaticContext {
    let mut ctx = StaticContext::new();
    ctx.bind_namespace("i", "urn:i");
    ctx.bind_namespace("c", "urn:c");
    ctx.bind_namespace("u", "urn:u");
    static LIB: OnceLock<Option<Arc<FunctionLibrary>>> = OnceLock::new();
    let lib = LIB.get_or_init(|| {
        FunctionLibrary::from_xslt(FUNCTIONS.iter().copied(), &ctx)
            .ok()
            .map(Arc::new)
    });
    if let Some(lib) = lib {
        ctx.set_functions(lib.clone());
    }
    ctx
}

const DOC: &str = r#"<i:Invoice xmlns:i="urn:i" xmlns:c="urn:c" c:v="1">
  <c:ID>R-1</c:ID><c:Note>a  b</c:Note><c:Note>x<![CDATA[y]]>z</c:Note>
  <c:Line n="1"><c:Amount cur="EUR">10.10</c:Amount><c:Qty>3</c:Qty></c:Line>
  <c:Line n="2"><c:Amount cur="USD">-0.5e1</c:Amount><c:Qty>abc</c:Qty></c:Line>
  <!-- c --><?pi data?><c:Empty/>
  <c:Cat><c:ID> S </c:ID><c:Scheme><c:ID>VAT</c:ID></c:Scheme></c:Cat>
  <c:Cat><c:ID>Z</c:ID><c:ID>E</c:ID><c:Scheme><c:ID>vat</c:ID><c:ID>x</c:ID></c:Scheme></c:Cat>
</i:Invoice>"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(doc) = Document::parse_default(DOC.as_bytes()) else {
        return;
    };
    let mut ctx = static_context();
    let slot = ctx.declare_variable("v");
    if let Ok(x) = XPath::compile(text, &ctx) {
        let mut dynamic = DynamicContext::for_document(&doc);
        dynamic.set_variable(slot, vec![Item::String("EUR".into())]);
        let _ = x.evaluate(&mut dynamic);
        let _ = x.evaluate_boolean(&mut dynamic);
        let _ = x.evaluate_string(&mut dynamic);
        // again with an element, an attribute and no context item
        let mut indexed = DynamicContext::for_document(&doc);
        indexed.index_document(&doc);
        indexed.set_variable(slot, vec![Item::String("EUR".into())]);
        let guard = x
            .absence_guard()
            .filter(|g| g.holds(&NamePresence::of(&indexed)));
        for n in doc.nodes().filter(|n| n.is_element()).take(4) {
            if guard.is_some() {
                indexed.set_context_node(XNode::Node(n));
                assert_eq!(x.evaluate_boolean(&mut indexed), Ok(true), "{x:?}");
            }
            dynamic.set_context_node(XNode::Node(n));
            same_without_plans(&x, &mut dynamic);
            indexed.set_context_node(XNode::Node(n));
            same_without_plans(&x, &mut indexed);
            if let Some(a) = n.attributes().next() {
                dynamic.set_context_node(XNode::Attr(a));
                let _ = x.evaluate(&mut dynamic);
                same_without_plans(&x, &mut dynamic);
            }
        }
        dynamic.set_context_item(None);
        let _ = x.evaluate(&mut dynamic);
    }
    if let Ok(p) = Pattern::compile(text, &ctx) {
        let mut dynamic = DynamicContext::new();
        for n in doc.nodes() {
            let with = p.matches(XNode::Node(n), &mut dynamic);
            let alts = p.shape_alternatives(XNode::Node(n), &mut dynamic);
            assert_eq!(alts != 0, p.matches_shape(XNode::Node(n), &mut dynamic));
            if alts != 0 {
                let given = p.matches_given_shape(XNode::Node(n), &mut dynamic, alts);
                assert_eq!(with, given, "{p:?}");
            }
            egov_core::xpath::use_plans(false);
            let without = p.matches(XNode::Node(n), &mut dynamic);
            egov_core::xpath::use_plans(true);
            assert_eq!(with, without, "{p:?}");
            for a in n.attributes() {
                let _ = p.matches(XNode::Attr(a), &mut dynamic);
            }
        }
        let _ = p.keys();
    }
});

/// `evaluate_boolean` with the expression's plan (if any) and by the tree walker alone agree.
fn same_without_plans<'a>(x: &'a XPath, ctx: &mut DynamicContext<'a>) {
    let planned = x.evaluate_boolean(ctx);
    // values too (plans of numbers, made at the second evaluation)
    let value = |ctx: &mut DynamicContext<'a>| format!("{:?}", x.evaluate(ctx));
    let planned_value = (value(ctx), value(ctx));
    egov_core::xpath::use_plans(false);
    let walked = x.evaluate_boolean(ctx);
    let walked_value = value(ctx);
    egov_core::xpath::use_plans(true);
    assert_eq!(planned, walked, "{x:?}");
    assert_eq!(planned_value.0, walked_value, "{x:?}");
    assert_eq!(planned_value.1, walked_value, "{x:?}");
}
