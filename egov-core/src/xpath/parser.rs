//! Tokenizer and recursive-descent parser for the XPath 2.0 grammar, producing [`Expr`] with
//! names, variables and functions resolved against the static context.

use std::hash::BuildHasherDefault;

use rust_decimal::Decimal;

use super::ast::*;
use super::functions::{lookup_builtin, Builtin};
use super::index::{intern_local, intern_path};
use super::regex::RegexCache;
use super::value::{ArithOp, AtomicType, CmpOp};
use super::{StaticContext, FN_NAMESPACE, XS_NAMESPACE};
use crate::hash::Fnv;
use crate::Error;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum T<'s> {
    /// Raw literal including its quotes.
    Str(&'s str),
    Num(&'s str),
    /// NCName, QName, `p:*` or `*:local`.
    Name(&'s str),
    Star,
    Dollar,
    LParen,
    RParen,
    LBrack,
    RBrack,
    Comma,
    Slash,
    DSlash,
    At,
    Dot,
    DDot,
    ColonColon,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    LtLt,
    GtGt,
    Pipe,
    Plus,
    Minus,
    Question,
    Eof,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Token<'s> {
    pub t: T<'s>,
    pub off: usize,
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '.' | '_' | '\u{B7}') || is_combining(c)
}

fn is_combining(c: char) -> bool {
    matches!(c, '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// A static error at byte offset `off` of `src`.
pub(crate) fn static_error(src: &str, off: usize, message: impl Into<String>) -> Error {
    let offset = src
        .get(..off.min(src.len()))
        .map_or(off, |s| s.chars().count());
    Error::XPath {
        expression: src.to_string(),
        offset,
        message: message.into(),
    }
}

pub(crate) fn tokenize(src: &str) -> Result<Vec<Token<'_>>, Error> {
    let mut toks = Vec::with_capacity(src.len() / 3 + 2);
    let b = src.as_bytes();
    let mut i = 0;
    let len = b.len();
    while i < len {
        let c = b.get(i).copied().unwrap_or(0);
        let start = i;
        let tok = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'(' if b.get(i + 1) == Some(&b':') => {
                // comment, possibly nested
                let mut depth = 0usize;
                loop {
                    match (b.get(i), b.get(i + 1)) {
                        (Some(b'('), Some(b':')) => {
                            depth += 1;
                            i += 2;
                        }
                        (Some(b':'), Some(b')')) => {
                            depth -= 1;
                            i += 2;
                            if depth == 0 {
                                break;
                            }
                        }
                        (Some(_), _) => i += 1,
                        (None, _) => return Err(static_error(src, start, "unterminated comment")),
                    }
                }
                continue;
            }
            b'\'' | b'"' => {
                i += 1;
                loop {
                    match b.get(i) {
                        None => {
                            return Err(static_error(src, start, "unterminated string literal"))
                        }
                        Some(q) if *q == c => {
                            if b.get(i + 1) == Some(&c) {
                                i += 2;
                            } else {
                                i += 1;
                                break;
                            }
                        }
                        Some(_) => i += 1,
                    }
                }
                T::Str(src.get(start..i).unwrap_or_default())
            }
            b'0'..=b'9' => {
                lex_number(b, &mut i);
                T::Num(src.get(start..i).unwrap_or_default())
            }
            b'.' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                lex_number(b, &mut i);
                T::Num(src.get(start..i).unwrap_or_default())
            }
            b'.' if b.get(i + 1) == Some(&b'.') => {
                i += 2;
                T::DDot
            }
            b'.' => {
                i += 1;
                T::Dot
            }
            b'*' => {
                // `*:local`?
                if b.get(i + 1) == Some(&b':') {
                    let rest = src.get(i + 2..).unwrap_or_default();
                    if rest.chars().next().is_some_and(is_name_start) {
                        i += 2;
                        i += ncname_len(rest);
                        toks.push(Token {
                            t: T::Name(src.get(start..i).unwrap_or_default()),
                            off: start,
                        });
                        continue;
                    }
                }
                i += 1;
                T::Star
            }
            b'$' => {
                i += 1;
                T::Dollar
            }
            b'(' => {
                i += 1;
                T::LParen
            }
            b')' => {
                i += 1;
                T::RParen
            }
            b'[' => {
                i += 1;
                T::LBrack
            }
            b']' => {
                i += 1;
                T::RBrack
            }
            b',' => {
                i += 1;
                T::Comma
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i += 2;
                T::DSlash
            }
            b'/' => {
                i += 1;
                T::Slash
            }
            b'@' => {
                i += 1;
                T::At
            }
            b':' if b.get(i + 1) == Some(&b':') => {
                i += 2;
                T::ColonColon
            }
            b'=' => {
                i += 1;
                T::Eq
            }
            b'!' if b.get(i + 1) == Some(&b'=') => {
                i += 2;
                T::Ne
            }
            b'<' => match b.get(i + 1) {
                Some(b'=') => {
                    i += 2;
                    T::Le
                }
                Some(b'<') => {
                    i += 2;
                    T::LtLt
                }
                _ => {
                    i += 1;
                    T::Lt
                }
            },
            b'>' => match b.get(i + 1) {
                Some(b'=') => {
                    i += 2;
                    T::Ge
                }
                Some(b'>') => {
                    i += 2;
                    T::GtGt
                }
                _ => {
                    i += 1;
                    T::Gt
                }
            },
            b'|' => {
                i += 1;
                T::Pipe
            }
            b'+' => {
                i += 1;
                T::Plus
            }
            b'-' => {
                i += 1;
                T::Minus
            }
            b'?' => {
                i += 1;
                T::Question
            }
            _ => {
                let rest = src.get(i..).unwrap_or_default();
                let ch = rest.chars().next().unwrap_or('\0');
                if !is_name_start(ch) {
                    return Err(static_error(
                        src,
                        start,
                        format!("unexpected character {ch:?}"),
                    ));
                }
                i += ncname_len(rest);
                // QName or p:*
                if b.get(i) == Some(&b':') && b.get(i + 1) != Some(&b':') {
                    let after = src.get(i + 1..).unwrap_or_default();
                    match after.chars().next() {
                        Some('*') => i += 2,
                        Some(c2) if is_name_start(c2) => i += 1 + ncname_len(after),
                        _ => {}
                    }
                }
                T::Name(src.get(start..i).unwrap_or_default())
            }
        };
        toks.push(Token { t: tok, off: start });
    }
    toks.push(Token {
        t: T::Eof,
        off: len,
    });
    Ok(toks)
}

fn ncname_len(s: &str) -> usize {
    // ASCII fast path
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let ok = if i == 0 {
            c.is_ascii_alphabetic() || c == b'_'
        } else {
            c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_')
        };
        if !ok {
            break;
        }
        i += 1;
    }
    if b.get(i).is_none_or(|c| c.is_ascii()) {
        return i;
    }
    let mut n = 0;
    for (k, c) in s.char_indices() {
        let ok = if k == 0 {
            is_name_start(c)
        } else {
            is_name_char(c)
        };
        if !ok {
            break;
        }
        n = k + c.len_utf8();
    }
    n
}

fn lex_number(b: &[u8], i: &mut usize) {
    while b.get(*i).is_some_and(u8::is_ascii_digit) {
        *i += 1;
    }
    if b.get(*i) == Some(&b'.') && b.get(*i + 1) != Some(&b'.') {
        *i += 1;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
    }
    if matches!(b.get(*i), Some(b'e' | b'E')) {
        let mut j = *i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if b.get(j).is_some_and(u8::is_ascii_digit) {
            while b.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            *i = j;
        }
    }
}

/// A user function signature visible to the parser.
#[derive(Debug, Clone)]
pub(crate) struct FnSig {
    pub namespace: String,
    pub local: String,
    pub arity: usize,
}

const MAX_DEPTH: usize = 96;

pub(crate) struct Parser<'s, 'c> {
    src: &'s str,
    toks: Vec<Token<'s>>,
    pos: usize,
    ctx: &'c StaticContext,
    sigs: &'c [FnSig],
    /// Local variables in scope: (name, slot).
    scopes: Vec<(String, usize)>,
    next_slot: usize,
    pub(crate) max_slot: usize,
    depth: usize,
}

type PResult<T> = Result<T, Error>;

impl<'s, 'c> Parser<'s, 'c> {
    pub(crate) fn new(
        src: &'s str,
        ctx: &'c StaticContext,
        sigs: &'c [FnSig],
        locals: &[(String, usize)],
        next_slot: usize,
    ) -> PResult<Self> {
        Ok(Parser {
            src,
            toks: tokenize(src)?,
            pos: 0,
            ctx,
            sigs,
            scopes: locals.to_vec(),
            next_slot,
            max_slot: next_slot,
            depth: 0,
        })
    }

    /// Parses the whole input as one expression.
    pub(crate) fn parse_all(&mut self) -> PResult<Expr> {
        let mut e = self.expr()?;
        if self.peek() != T::Eof {
            return Err(self.error(format!("unexpected {}", self.describe())));
        }
        memoize_repeated(&mut e);
        Ok(e)
    }

    fn peek(&self) -> T<'s> {
        self.toks.get(self.pos).map_or(T::Eof, |t| t.t)
    }

    fn peek_at(&self, k: usize) -> T<'s> {
        self.toks.get(self.pos + k).map_or(T::Eof, |t| t.t)
    }

    fn off(&self) -> usize {
        self.toks.get(self.pos).map_or(self.src.len(), |t| t.off)
    }

    fn bump(&mut self) -> T<'s> {
        let t = self.peek();
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn describe(&self) -> String {
        match self.peek() {
            T::Eof => "end of expression".into(),
            T::Name(n) => format!("name {n:?}"),
            T::Str(s) => format!("string {s}"),
            T::Num(n) => format!("number {n}"),
            t => format!("{t:?}"),
        }
    }

    pub(crate) fn error(&self, message: impl Into<String>) -> Error {
        static_error(self.src, self.off(), message)
    }

    fn expect(&mut self, t: T<'s>, what: &str) -> PResult<()> {
        if self.peek() == t {
            self.bump();
            Ok(())
        } else {
            Err(self.error(format!("expected {what}, found {}", self.describe())))
        }
    }

    fn is_name(&self, name: &str) -> bool {
        self.peek() == T::Name(name)
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("expression nested too deeply"));
        }
        Ok(())
    }

    fn expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        let first = self.single()?;
        let r = if self.peek() == T::Comma {
            let mut items = vec![first];
            while self.peek() == T::Comma {
                self.bump();
                items.push(self.single()?);
            }
            Expr::Seq(items)
        } else {
            first
        };
        self.depth -= 1;
        Ok(r)
    }

    fn single(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = match (self.peek(), self.peek_at(1)) {
            (T::Name("for"), T::Dollar) => self.for_expr(),
            (T::Name("some" | "every"), T::Dollar) => self.quantified(),
            (T::Name("if"), T::LParen) => self.if_expr(),
            _ => self.or_expr(),
        };
        self.depth -= 1;
        r
    }

    fn var_name(&mut self) -> PResult<String> {
        self.expect(T::Dollar, "$")?;
        match self.bump() {
            T::Name(n) => Ok(n.to_string()),
            _ => Err(self.error("expected a variable name")),
        }
    }

    fn bindings(&mut self) -> PResult<(Vec<(usize, Expr)>, usize)> {
        let mut out = Vec::new();
        let scope_len = self.scopes.len();
        loop {
            let name = self.var_name()?;
            if !self.is_name("in") {
                return Err(self.error("expected 'in'"));
            }
            self.bump();
            let e = self.single()?;
            let slot = self.next_slot;
            self.next_slot += 1;
            self.max_slot = self.max_slot.max(self.next_slot);
            self.scopes.push((name, slot));
            out.push((slot, e));
            if self.peek() == T::Comma && self.peek_at(1) == T::Dollar {
                self.bump();
            } else {
                break;
            }
        }
        Ok((out, scope_len))
    }

    fn end_bindings(&mut self, scope_len: usize, n: usize) {
        self.scopes.truncate(scope_len);
        self.next_slot -= n;
    }

    fn for_expr(&mut self) -> PResult<Expr> {
        self.bump();
        let (bindings, scope_len) = self.bindings()?;
        if !self.is_name("return") {
            return Err(self.error("expected 'return'"));
        }
        self.bump();
        let ret = self.single()?;
        self.end_bindings(scope_len, bindings.len());
        Ok(Expr::For {
            bindings,
            ret: Box::new(ret),
        })
    }

    fn quantified(&mut self) -> PResult<Expr> {
        let every = self.bump() == T::Name("every");
        let (bindings, scope_len) = self.bindings()?;
        if !self.is_name("satisfies") {
            return Err(self.error("expected 'satisfies'"));
        }
        self.bump();
        let cond = self.single()?;
        self.end_bindings(scope_len, bindings.len());
        Ok(Expr::Quantified {
            every,
            bindings,
            cond: Box::new(cond),
        })
    }

    fn if_expr(&mut self) -> PResult<Expr> {
        self.bump();
        self.expect(T::LParen, "(")?;
        let c = self.expr()?;
        self.expect(T::RParen, ")")?;
        if !self.is_name("then") {
            return Err(self.error("expected 'then'"));
        }
        self.bump();
        let t = self.single()?;
        if !self.is_name("else") {
            return Err(self.error("expected 'else'"));
        }
        self.bump();
        let e = self.single()?;
        Ok(Expr::If(Box::new(c), Box::new(t), Box::new(e)))
    }

    fn or_expr(&mut self) -> PResult<Expr> {
        let mut l = self.and_expr()?;
        while self.is_name("or") {
            self.bump();
            let r = self.and_expr()?;
            l = Expr::Or(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn and_expr(&mut self) -> PResult<Expr> {
        let mut l = self.comparison()?;
        while self.is_name("and") {
            self.bump();
            let r = self.comparison()?;
            l = Expr::And(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn comparison(&mut self) -> PResult<Expr> {
        let l = self.range()?;
        enum K {
            G(CmpOp),
            V(CmpOp),
            N(NodeCmpOp),
        }
        let k = match self.peek() {
            T::Eq => K::G(CmpOp::Eq),
            T::Ne => K::G(CmpOp::Ne),
            T::Lt => K::G(CmpOp::Lt),
            T::Le => K::G(CmpOp::Le),
            T::Gt => K::G(CmpOp::Gt),
            T::Ge => K::G(CmpOp::Ge),
            T::LtLt => K::N(NodeCmpOp::Precedes),
            T::GtGt => K::N(NodeCmpOp::Follows),
            T::Name("eq") => K::V(CmpOp::Eq),
            T::Name("ne") => K::V(CmpOp::Ne),
            T::Name("lt") => K::V(CmpOp::Lt),
            T::Name("le") => K::V(CmpOp::Le),
            T::Name("gt") => K::V(CmpOp::Gt),
            T::Name("ge") => K::V(CmpOp::Ge),
            T::Name("is") => K::N(NodeCmpOp::Is),
            _ => return Ok(l),
        };
        self.bump();
        let r = Box::new(self.range()?);
        let l = Box::new(l);
        Ok(match k {
            K::G(op) => Expr::GeneralCmp(op, l, r),
            K::V(op) => Expr::ValueCmp(op, l, r),
            K::N(op) => Expr::NodeCmp(op, l, r),
        })
    }

    fn range(&mut self) -> PResult<Expr> {
        let l = self.additive()?;
        if self.is_name("to") {
            self.bump();
            let r = self.additive()?;
            return Ok(Expr::Range(Box::new(l), Box::new(r)));
        }
        Ok(l)
    }

    fn additive(&mut self) -> PResult<Expr> {
        let mut l = self.multiplicative()?;
        loop {
            let op = match self.peek() {
                T::Plus => ArithOp::Add,
                T::Minus => ArithOp::Sub,
                _ => return Ok(l),
            };
            self.bump();
            let r = self.multiplicative()?;
            l = Expr::Arith(op, Box::new(l), Box::new(r));
        }
    }

    fn multiplicative(&mut self) -> PResult<Expr> {
        let mut l = self.union()?;
        loop {
            let op = match self.peek() {
                T::Star => ArithOp::Mul,
                T::Name("div") => ArithOp::Div,
                T::Name("idiv") => ArithOp::IDiv,
                T::Name("mod") => ArithOp::Mod,
                _ => return Ok(l),
            };
            self.bump();
            let r = self.union()?;
            l = Expr::Arith(op, Box::new(l), Box::new(r));
        }
    }

    fn union(&mut self) -> PResult<Expr> {
        let mut l = self.intersect()?;
        while matches!(self.peek(), T::Pipe | T::Name("union")) {
            self.bump();
            let r = self.intersect()?;
            l = Expr::Union(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn intersect(&mut self) -> PResult<Expr> {
        let mut l = self.instance_of()?;
        loop {
            let inter = match self.peek() {
                T::Name("intersect") => true,
                T::Name("except") => false,
                _ => return Ok(l),
            };
            self.bump();
            let r = self.instance_of()?;
            l = if inter {
                Expr::Intersect(Box::new(l), Box::new(r))
            } else {
                Expr::Except(Box::new(l), Box::new(r))
            };
        }
    }

    fn instance_of(&mut self) -> PResult<Expr> {
        let l = self.treat()?;
        if self.is_name("instance") && self.peek_at(1) == T::Name("of") {
            self.bump();
            self.bump();
            let ty = self.sequence_type()?;
            return Ok(Expr::InstanceOf(Box::new(l), ty));
        }
        Ok(l)
    }

    fn treat(&mut self) -> PResult<Expr> {
        let l = self.castable()?;
        if self.is_name("treat") && self.peek_at(1) == T::Name("as") {
            self.bump();
            self.bump();
            let ty = self.sequence_type()?;
            return Ok(Expr::Treat(Box::new(l), ty));
        }
        Ok(l)
    }

    fn castable(&mut self) -> PResult<Expr> {
        let l = self.cast()?;
        if self.is_name("castable") && self.peek_at(1) == T::Name("as") {
            self.bump();
            self.bump();
            let (ty, opt) = self.single_type()?;
            return Ok(Expr::Castable(Box::new(l), ty, opt));
        }
        Ok(l)
    }

    fn cast(&mut self) -> PResult<Expr> {
        let l = self.unary()?;
        if self.is_name("cast") && self.peek_at(1) == T::Name("as") {
            self.bump();
            self.bump();
            let (ty, opt) = self.single_type()?;
            return Ok(Expr::Cast(Box::new(l), ty, opt));
        }
        Ok(l)
    }

    fn unary(&mut self) -> PResult<Expr> {
        match self.peek() {
            T::Minus => {
                self.enter()?;
                self.bump();
                let e = self.unary()?;
                self.depth -= 1;
                Ok(match e {
                    Expr::Literal(Literal::Integer(i)) if i != i64::MIN => {
                        Expr::Literal(Literal::Integer(-i))
                    }
                    Expr::Literal(Literal::Decimal(d)) => Expr::Literal(Literal::Decimal(-d)),
                    Expr::Literal(Literal::Double(d)) => Expr::Literal(Literal::Double(-d)),
                    e => Expr::Neg(Box::new(e)),
                })
            }
            T::Plus => {
                self.enter()?;
                self.bump();
                let e = self.unary()?;
                self.depth -= 1;
                Ok(Expr::UnaryPlus(Box::new(e)))
            }
            _ => self.path(),
        }
    }

    fn resolve_atomic_type(&self, qname: &str) -> PResult<AtomicType> {
        let (ns, local) = self.resolve_qname(qname, "")?;
        if ns != XS_NAMESPACE {
            return Err(self.error(format!("unknown atomic type {qname}")));
        }
        AtomicType::from_local(local)
            .ok_or_else(|| self.error(format!("unsupported atomic type {qname}")))
    }

    fn single_type(&mut self) -> PResult<(AtomicType, bool)> {
        let T::Name(n) = self.peek() else {
            return Err(self.error("expected a type name"));
        };
        let ty = self.resolve_atomic_type(n)?;
        self.bump();
        let opt = if self.peek() == T::Question {
            self.bump();
            true
        } else {
            false
        };
        Ok((ty, opt))
    }

    pub(crate) fn sequence_type(&mut self) -> PResult<SequenceType> {
        let T::Name(n) = self.peek() else {
            return Err(self.error("expected a sequence type"));
        };
        if n == "empty-sequence" && self.peek_at(1) == T::LParen {
            self.bump();
            self.bump();
            self.expect(T::RParen, ")")?;
            return Ok(SequenceType {
                item: ItemType::AnyItem,
                occurrence: Occurrence::Optional,
                empty: true,
            });
        }
        let item = if self.peek_at(1) == T::LParen {
            if n == "item" {
                self.bump();
                self.bump();
                self.expect(T::RParen, ")")?;
                ItemType::AnyItem
            } else if let Some(k) = self.kind_test()? {
                ItemType::Node(k)
            } else {
                return Err(self.error(format!("unknown item type {n}()")));
            }
        } else {
            let ty = self.resolve_atomic_type(n)?;
            self.bump();
            ItemType::Atomic(ty)
        };
        let occurrence = match self.peek() {
            T::Question => Occurrence::Optional,
            T::Star => Occurrence::Star,
            T::Plus => Occurrence::Plus,
            _ => Occurrence::One,
        };
        if occurrence != Occurrence::One {
            self.bump();
        }
        Ok(SequenceType {
            item,
            occurrence,
            empty: false,
        })
    }

    /// Parses a kind test if the current name is one (`node()`, `text()`, …).
    fn kind_test(&mut self) -> PResult<Option<KindTest>> {
        let T::Name(n) = self.peek() else {
            return Ok(None);
        };
        if self.peek_at(1) != T::LParen {
            return Ok(None);
        }
        let k = match n {
            "node" => KindTest::AnyNode,
            "text" => KindTest::Text,
            "comment" => KindTest::Comment,
            "processing-instruction" => KindTest::Pi(None),
            "element" => KindTest::Element,
            "attribute" => KindTest::Attribute,
            "document-node" => KindTest::Document,
            "schema-element" | "schema-attribute" => {
                return Err(self.error(format!("{n}() needs a schema-aware processor")))
            }
            _ => return Ok(None),
        };
        self.bump();
        self.bump();
        let k = match (k, self.peek()) {
            (KindTest::Pi(_), T::Str(s)) => {
                self.bump();
                KindTest::Pi(Some(unquote(s).into()))
            }
            (KindTest::Pi(_), T::Name(s)) => {
                self.bump();
                KindTest::Pi(Some(s.into()))
            }
            (k @ (KindTest::Element | KindTest::Attribute), T::Star) => {
                self.bump();
                k
            }
            (k, _) => k,
        };
        self.expect(T::RParen, ")")?;
        Ok(Some(k))
    }

    /// `prefix:local` → (namespace, local). `default_ns` applies to unprefixed names.
    fn resolve_qname<'n>(&self, qname: &'n str, default_ns: &'c str) -> PResult<(&'c str, &'n str)>
    where
        's: 'n,
    {
        match qname.split_once(':') {
            Some((p, l)) => match self.ctx.namespace(p) {
                Some(ns) => Ok((ns, l)),
                None => Err(self.error(format!("undeclared namespace prefix {p:?}"))),
            },
            None => Ok((default_ns, qname)),
        }
    }

    fn name_test(&self, name: &str, attribute: bool) -> PResult<NodeTest> {
        if name == "*" {
            return Ok(NodeTest::Any);
        }
        if let Some(local) = name.strip_prefix("*:") {
            return Ok(NodeTest::LocalWildcard(local.into()));
        }
        if let Some(p) = name.strip_suffix(":*") {
            let ns = self
                .ctx
                .namespace(p)
                .ok_or_else(|| self.error(format!("undeclared namespace prefix {p:?}")))?;
            return Ok(NodeTest::NsWildcard(ns.into()));
        }
        let default = if attribute {
            ""
        } else {
            self.ctx.default_element_namespace()
        };
        let (ns, local, ns_id) = match name.split_once(':') {
            Some((p, l)) => {
                let (ns, id) = self
                    .ctx
                    .namespace_with_id(p)
                    .ok_or_else(|| self.error(format!("undeclared namespace prefix {p:?}")))?;
                (ns, l, id)
            }
            None => (default, name, intern_local(default)),
        };
        Ok(NodeTest::Name(
            ns.into(),
            local.into(),
            intern_local(local),
            ns_id,
        ))
    }

    fn starts_step(&self) -> bool {
        matches!(
            self.peek(),
            T::Name(_)
                | T::Star
                | T::At
                | T::Dot
                | T::DDot
                | T::Dollar
                | T::LParen
                | T::Str(_)
                | T::Num(_)
        )
    }

    fn path(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = self.path_inner();
        self.depth -= 1;
        r
    }

    fn path_inner(&mut self) -> PResult<Expr> {
        // steps with the offset where their text ends (for memo keys of absolute paths)
        let mut steps: Vec<(Step, usize)> = Vec::new();
        let start_off = self.off();
        let start;
        match self.peek() {
            T::Slash => {
                self.bump();
                if !self.starts_step() {
                    return Ok(Expr::Root);
                }
                start = PathStart::Root;
                let s = self.step()?;
                steps.push((s, self.off()));
            }
            T::DSlash => {
                self.bump();
                start = PathStart::Root;
                steps.push((desc_or_self(), self.off()));
                let s = self.step()?;
                steps.push((s, self.off()));
            }
            _ => {
                let first = self.step()?;
                match first.kind {
                    StepKind::Expr(e) => {
                        let e = if first.preds.is_empty() {
                            e
                        } else {
                            Expr::Filter(Box::new(e), first.preds)
                        };
                        if !matches!(self.peek(), T::Slash | T::DSlash) {
                            return Ok(e);
                        }
                        start = PathStart::Expr(Box::new(e));
                    }
                    StepKind::Axis(..) => {
                        start = PathStart::Context;
                        steps.push((first, self.off()));
                    }
                }
            }
        }
        loop {
            match self.peek() {
                T::Slash => {
                    self.bump();
                    let s = self.step()?;
                    steps.push((s, self.off()));
                }
                T::DSlash => {
                    self.bump();
                    steps.push((desc_or_self(), self.off()));
                    let s = self.step()?;
                    steps.push((s, self.off()));
                }
                _ => break,
            }
        }
        let (steps, ends): (Vec<Step>, Vec<usize>) = optimize_steps(steps).into_iter().unzip();
        let mut path = PathExpr::new(start, steps);
        if matches!(path.start, PathStart::Root) {
            self.set_memo_keys(&mut path, start_off, &ends);
        }
        Ok(Expr::Path(Box::new(path)))
    }

    /// Memo ids of an absolute path and its step prefixes: their text with the namespace
    /// bindings of the prefixes they use (no variables, no user functions).
    fn set_memo_keys(&self, path: &mut PathExpr, start: usize, ends: &[usize]) {
        let text = |end: usize| self.src.get(start..end).unwrap_or_default().trim_end();
        let Some(full_end) = ends.last().copied() else {
            return;
        };
        let full = text(full_end);
        if full.contains('$') || path.steps.iter().any(step_calls_user_function) {
            return;
        }
        // `p` is followed by ':' somewhere in the text (checked at the colons, found once)
        let colons: Vec<usize> = full
            .bytes()
            .enumerate()
            .filter(|(_, b)| *b == b':')
            .map(|(i, _)| i)
            .collect();
        let uses = |p: &str| {
            colons.iter().any(|&i| {
                i.checked_sub(p.len())
                    .and_then(|s| full.as_bytes().get(s..i))
                    .is_some_and(|w| w == p.as_bytes())
            })
        };
        let mut bindings = String::new();
        for (p, uri) in self.ctx.namespaces() {
            if uses(p) {
                bindings.push_str(p);
                bindings.push('=');
                bindings.push_str(uri);
                bindings.push(' ');
            }
        }
        bindings.push_str(self.ctx.default_element_namespace());
        let key = |t: &str| format!("{t}\u{1}{bindings}");
        path.memo = Some(intern_path(&key(full))).filter(|id| *id != 0);
        path.prefix_memo = ends
            .iter()
            .take(ends.len().saturating_sub(1))
            .map(|e| intern_path(&key(text(*e))))
            .collect();
        if path.memo.is_none() || path.prefix_memo.contains(&0) {
            path.memo = None;
            path.prefix_memo = Box::default();
        }
    }

    fn step(&mut self) -> PResult<Step> {
        let kind = match (self.peek(), self.peek_at(1)) {
            (T::DDot, _) => {
                self.bump();
                StepKind::Axis(Axis::Parent, NodeTest::Kind(KindTest::AnyNode))
            }
            (T::At, _) => {
                self.bump();
                StepKind::Axis(Axis::Attribute, self.node_test(true)?)
            }
            (T::Name(n), T::ColonColon) => {
                let axis =
                    Axis::from_name(n).ok_or_else(|| self.error(format!("unknown axis {n:?}")))?;
                self.bump();
                self.bump();
                StepKind::Axis(axis, self.node_test(axis == Axis::Attribute)?)
            }
            (T::Name(_), T::LParen) => {
                if let Some(k) = self.kind_test()? {
                    let axis = if k == KindTest::Attribute {
                        Axis::Attribute
                    } else {
                        Axis::Child
                    };
                    StepKind::Axis(axis, NodeTest::Kind(k))
                } else {
                    StepKind::Expr(self.primary()?)
                }
            }
            (T::Name(n), _) => {
                if is_keyword_start(n, self.peek_at(1)) {
                    return Err(self.error(format!("unexpected keyword {n:?}")));
                }
                self.bump();
                StepKind::Axis(Axis::Child, self.name_test(n, false)?)
            }
            (T::Star, _) => {
                self.bump();
                StepKind::Axis(Axis::Child, NodeTest::Any)
            }
            _ => StepKind::Expr(self.primary()?),
        };
        let preds = self.predicates()?;
        Ok(Step { kind, preds })
    }

    fn node_test(&mut self, attribute: bool) -> PResult<NodeTest> {
        if let Some(k) = self.kind_test()? {
            return Ok(NodeTest::Kind(k));
        }
        match self.bump() {
            T::Name(n) => self.name_test(n, attribute),
            T::Star => Ok(NodeTest::Any),
            _ => Err(self.error("expected a node test")),
        }
    }

    fn predicates(&mut self) -> PResult<Vec<Pred>> {
        let mut preds = Vec::new();
        while self.peek() == T::LBrack {
            self.bump();
            let e = self.expr()?;
            self.expect(T::RBrack, "]")?;
            preds.push(make_pred(e));
        }
        Ok(preds)
    }

    fn primary(&mut self) -> PResult<Expr> {
        match self.peek() {
            T::Str(s) => {
                self.bump();
                Ok(Expr::Literal(Literal::String(unquote(s).into())))
            }
            T::Num(n) => {
                self.bump();
                Ok(Expr::Literal(parse_number(n).ok_or_else(|| {
                    self.error(format!("invalid numeric literal {n}"))
                })?))
            }
            T::Dollar => {
                let off = self.off();
                let name = self.var_name()?;
                self.resolve_var(&name).map(Expr::Var).ok_or_else(|| {
                    static_error(self.src, off, format!("undeclared variable ${name}"))
                })
            }
            T::LParen => {
                self.bump();
                if self.peek() == T::RParen {
                    self.bump();
                    return Ok(Expr::Seq(Vec::new()));
                }
                let e = self.expr()?;
                self.expect(T::RParen, ")")?;
                // keep parenthesised sequences distinct from bare ones only where it matters
                Ok(e)
            }
            T::Dot => {
                self.bump();
                Ok(Expr::ContextItem)
            }
            T::Name(n) if self.peek_at(1) == T::LParen => self.function_call(n),
            _ => Err(self.error(format!("unexpected {}", self.describe()))),
        }
    }

    fn resolve_var(&self, name: &str) -> Option<VarRef> {
        if let Some((_, slot)) = self.scopes.iter().rev().find(|(n, _)| n == name) {
            return Some(VarRef::Local(*slot));
        }
        self.ctx.variable_slot(name).map(VarRef::External)
    }

    fn function_call(&mut self, name: &'s str) -> PResult<Expr> {
        let off = self.off();
        self.bump();
        self.expect(T::LParen, "(")?;
        let mut args = Vec::new();
        if self.peek() != T::RParen {
            loop {
                args.push(self.single()?);
                if self.peek() == T::Comma {
                    self.bump();
                } else {
                    break;
                }
            }
        }
        self.expect(T::RParen, ")")?;
        let (ns, local) = match name.split_once(':') {
            Some((p, l)) => (
                self.ctx.namespace(p).ok_or_else(|| {
                    static_error(self.src, off, format!("undeclared namespace prefix {p:?}"))
                })?,
                l,
            ),
            None => (FN_NAMESPACE, name),
        };
        if ns == FN_NAMESPACE {
            let b = lookup_builtin(local, args.len()).ok_or_else(|| {
                static_error(
                    self.src,
                    off,
                    format!("unknown function {name}#{} (XPST0017)", args.len()),
                )
            })?;
            let regex = if b.uses_regex() {
                Some(Box::new(CallExtra {
                    regex: std::sync::Arc::new(
                        RegexCache::for_call(&args, b.regex_flags_index())
                            .map_err(|m| static_error(self.src, off, m))?,
                    ),
                    tokens: None,
                }))
            } else if b == Builtin::Contains {
                code_list_tokens(&args).map(|tokens| {
                    Box::new(CallExtra {
                        regex: std::sync::Arc::default(),
                        tokens: Some(std::sync::Arc::new(tokens)),
                    })
                })
            } else {
                None
            };
            return Ok(Expr::Call(b, args, regex));
        }
        if ns == XS_NAMESPACE {
            let ty = AtomicType::from_local(local).ok_or_else(|| {
                static_error(
                    self.src,
                    off,
                    format!("unsupported constructor function {name}"),
                )
            })?;
            if args.len() != 1 {
                return Err(static_error(
                    self.src,
                    off,
                    format!("constructor function {name} takes one argument"),
                ));
            }
            return Ok(Expr::Call(Builtin::Constructor(ty), args, None));
        }
        let idx = self
            .sigs
            .iter()
            .position(|s| s.namespace == ns && s.local == local && s.arity == args.len())
            .ok_or_else(|| {
                static_error(
                    self.src,
                    off,
                    format!("unknown function {name}#{} (XPST0017)", args.len()),
                )
            })?;
        Ok(Expr::UserCall(idx, args))
    }
}

/// `contains(' t1 t2 … ', concat(' ', x, ' '))`: the tokens, when the literal is exactly one
/// space, tokens separated by single spaces, one space.
pub(crate) fn code_list_tokens(args: &[Expr]) -> Option<CodeListTokens> {
    let [Expr::Literal(Literal::String(list)), Expr::Call(Builtin::Concat, parts, _)] = args else {
        return None;
    };
    let [Expr::Literal(Literal::String(a)), _, Expr::Literal(Literal::String(z))] =
        parts.as_slice()
    else {
        return None;
    };
    if &**a != " " || &**z != " " {
        return None;
    }
    let inner = list.strip_prefix(' ')?.strip_suffix(' ')?;
    if inner.is_empty()
        || inner.contains("  ")
        || inner.starts_with(' ')
        || inner.ends_with(' ')
        || inner.chars().any(|c| c.is_whitespace() && c != ' ')
    {
        return None;
    }
    Some(CodeListTokens::new(list.clone()))
}

/// True for the kinds of expression that may be wrapped in [`Expr::Memo`]: value computations
/// (function calls, arithmetic, casts, paths ending in an expression step). They are wrapped
/// when their value depends only on the context node, the variables in scope and the frame:
/// no `position()`/`last()`, no name of the context (that has its own cache), no bindings or
/// user functions inside (see `memoize_repeated`).
fn memo_kind(e: &Expr) -> bool {
    match e {
        Expr::Call(b, args, _) => {
            b.single_valued(args.len())
                && !matches!(
                    b,
                    Builtin::Exists
                        | Builtin::Empty
                        | Builtin::Not
                        | Builtin::Boolean
                        | Builtin::True
                        | Builtin::False
                        | Builtin::Position
                        | Builtin::Last
                        | Builtin::Error
                        // booleans: cheap to recompute, and their keys would print code lists
                        | Builtin::Contains
                        | Builtin::StartsWith
                        | Builtin::EndsWith
                        | Builtin::Matches
                )
        }
        Expr::Arith(..) | Expr::Cast(..) => true,
        Expr::Path(p) => p
            .steps
            .last()
            .is_some_and(|s| matches!(s.kind, StepKind::Expr(_))),
        _ => false,
    }
}

/// Appends a number (structural keys are built often; `fmt` is slow for this).
fn push_num(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(b) = buf.get_mut(i) {
            *b = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    for b in buf.get(i..).unwrap_or_default() {
        out.push(char::from(*b));
    }
}

/// Appends a string with its length (so that keys cannot run into each other).
fn push_str_len(out: &mut String, s: &str) {
    push_num(out, s.len() as u64);
    out.push(':');
    out.push_str(s);
}

/// A tag and a number.
fn tagged(out: &mut String, tag: &str, n: u64) {
    out.push_str(tag);
    push_num(out, n);
}

/// A binding construct: its kind and the slots it binds.
fn slots(out: &mut String, kind: &str, bindings: &[(usize, Expr)]) {
    out.push_str(kind);
    for (slot, _) in bindings {
        out.push(',');
        push_num(out, *slot as u64);
    }
}

/// What a node is apart from its sub-expressions (which [`canonical_ids`] adds by their ids).
fn shallow(e: &Expr, out: &mut String) {
    use std::fmt::Write;
    let preds = |out: &mut String, preds: &[Pred]| {
        for p in preds {
            match p.kind {
                PredKind::Index(i) => tagged(out, "[#", i as u64),
                PredKind::Bool => out.push_str("[b"),
                PredKind::General => out.push_str("[g"),
            }
        }
    };
    match e {
        Expr::Literal(Literal::String(v)) => {
            out.push_str("Ls");
            push_str_len(out, v);
        }
        Expr::Literal(Literal::Integer(i)) => {
            out.push_str("Li");
            out.push(if *i < 0 { '-' } else { '+' });
            push_num(out, i.unsigned_abs());
        }
        Expr::Literal(Literal::Double(d)) => tagged(out, "Ld", d.to_bits()),
        Expr::Literal(l) => {
            let _ = write!(out, "L{l:?}");
        }
        Expr::ContextItem => out.push('.'),
        Expr::Root => out.push('/'),
        Expr::Var(VarRef::External(i)) => tagged(out, "Ve", *i as u64),
        Expr::Var(VarRef::Local(i)) => tagged(out, "Vl", *i as u64),
        Expr::Path(p) => {
            out.push_str(match &p.start {
                PathStart::Root => "P/",
                PathStart::Context => "P.",
                PathStart::Expr(_) => "Pe",
            });
            for st in &p.steps {
                match &st.kind {
                    // (id 0: not interned — the table was full — then the names below)
                    StepKind::Axis(a, NodeTest::Name(_, _, id, ns)) if *id != 0 && *ns != 0 => {
                        out.push('|');
                        push_num(out, *a as u64);
                        out.push('n');
                        push_num(out, u64::from(*id));
                        out.push('.');
                        push_num(out, u64::from(*ns));
                    }
                    StepKind::Axis(a, t) => {
                        let _ = write!(out, "|{a:?}{t:?}");
                    }
                    StepKind::Expr(_) => out.push_str("|e"),
                }
                preds(out, &st.preds);
            }
        }
        Expr::Filter(_, ps) => {
            out.push('F');
            preds(out, ps);
        }
        Expr::Seq(v) => tagged(out, "S", v.len() as u64),
        Expr::Range(..) => out.push('R'),
        Expr::Or(..) => out.push_str("or"),
        Expr::And(..) => out.push_str("and"),
        Expr::GeneralCmp(op, ..) => tagged(out, "G", *op as u64),
        Expr::ValueCmp(op, ..) => tagged(out, "C", *op as u64),
        Expr::NodeCmp(op, ..) => tagged(out, "N", *op as u64),
        Expr::Arith(op, ..) => tagged(out, "A", *op as u64),
        Expr::Neg(_) => out.push('-'),
        Expr::UnaryPlus(_) => out.push('+'),
        Expr::If(..) => out.push_str("if"),
        Expr::Quantified {
            every, bindings, ..
        } => slots(out, if *every { "Qe" } else { "Qs" }, bindings),
        Expr::For { bindings, .. } => slots(out, "for", bindings),
        Expr::Union(..) => out.push('U'),
        Expr::Intersect(..) => out.push('I'),
        Expr::Except(..) => out.push('X'),
        Expr::Call(b, args, extra) => {
            out.push('f');
            out.push_str(b.name());
            out.push('/');
            push_num(out, args.len() as u64);
            // the code-list form keeps its `concat(…)` argument, which the traversal skips
            if extra.as_ref().is_some_and(|x| x.tokens.is_some()) {
                if let Some(a) = args.get(1) {
                    out.push('<');
                    shallow(a, out);
                    out.push('>');
                }
            }
        }
        Expr::UserCall(i, args) => {
            out.push('u');
            push_num(out, *i as u64);
            out.push('/');
            push_num(out, args.len() as u64);
        }
        Expr::Cast(_, t, opt) => {
            let _ = write!(out, "cast{t:?}{opt}");
        }
        Expr::Castable(_, t, opt) => {
            let _ = write!(out, "castable{t:?}{opt}");
        }
        Expr::InstanceOf(_, t) => {
            let _ = write!(out, "instance{t:?}");
        }
        Expr::Treat(_, t) => {
            let _ = write!(out, "treat{t:?}");
        }
        Expr::NameOnly(_, id) => tagged(out, "name", u64::from(*id)),
        Expr::Memo(_, id) => tagged(out, "memo", u64::from(*id)),
    }
}

/// The structural identity of every node (in the pre-order of [`children_focus_mut`]): equal
/// ids for equal compiled forms. Built bottom-up — each node's key is its [`shallow`] part and
/// its children's ids — so it costs time linear in the size of the expression.
fn canonical_ids(e: &mut Expr) -> Vec<u32> {
    type Table = std::collections::HashMap<String, u32, BuildHasherDefault<Fnv>>;
    fn go(e: &mut Expr, ids: &mut Vec<u32>, table: &mut Table, key: &mut String) -> u32 {
        let slot = ids.len();
        ids.push(0);
        let mut children = Vec::new();
        children_focus_mut(e, &mut |c, _| children.push(go(c, ids, table, key)));
        key.clear();
        shallow(e, key);
        for c in children {
            key.push(',');
            push_num(key, u64::from(c));
        }
        let id = match table.get(key.as_str()) {
            Some(id) => *id,
            None => {
                let id = table.len() as u32;
                table.insert(key.clone(), id);
                id
            }
        };
        if let Some(s) = ids.get_mut(slot) {
            *s = id;
        }
        id
    }
    let mut ids = Vec::new();
    go(e, &mut ids, &mut Table::default(), &mut String::new());
    ids
}

/// Visits the direct sub-expressions with whether each is evaluated with the same focus as `e`
/// (path steps and predicates are not).
fn children_focus_mut(e: &mut Expr, f: &mut dyn FnMut(&mut Expr, bool)) {
    match e {
        Expr::Path(p) => {
            if let PathStart::Expr(x) = &mut p.start {
                f(x, true);
            }
            for s in &mut p.steps {
                if let StepKind::Expr(x) = &mut s.kind {
                    f(x, false);
                }
                for pr in &mut s.preds {
                    f(&mut pr.expr, false);
                }
            }
        }
        Expr::Filter(x, preds) => {
            f(x, true);
            for p in preds {
                f(&mut p.expr, false);
            }
        }
        // the code-list fast path reads the shape of `concat(' ', x, ' ')`: keep it
        Expr::Call(Builtin::Contains, args, Some(x)) if x.tokens.is_some() => {
            for (i, a) in args.iter_mut().enumerate() {
                if i == 1 {
                    a.children_mut(&mut |c| f(c, true));
                } else {
                    f(a, true);
                }
            }
        }
        _ => e.children_mut(&mut |c| f(c, true)),
    }
}

/// Wraps the candidate subexpressions that occur more than once in `e` at the focus of the
/// whole expression (not inside path steps or predicates, whose focus changes from node to
/// node) in [`Expr::Memo`] (one id per distinct subexpression), so that evaluating the second
/// occurrence with the same context node and bindings reuses the value of the first.
pub(crate) fn memoize_repeated(e: &mut Expr) {
    use std::collections::HashMap;
    /// A cheap necessary condition for two subexpressions to be equal (size, kind, function or
    /// operator), so that the full structural key is only built for possible repeats.
    type PreKey = (usize, &'static str, u32);
    type Seen = HashMap<u32, (u32, u32)>;
    /// One bottom-up pass: the pre-key of every node at the whole expression's focus (in
    /// pre-order, `None` for non-candidates), returning the node's size and whether it reads
    /// the position, the context's name, binds variables or calls user functions.
    fn visit(
        e: &mut Expr,
        top: bool,
        keys: &mut Vec<Option<PreKey>>,
        pre: &mut HashMap<PreKey, u32>,
    ) -> (usize, bool) {
        let slot = keys.len();
        keys.push(None);
        let mut weight = 1;
        if let Expr::Path(p) = &*e {
            weight += p.steps.len();
        }
        let mut blocked = match &*e {
            Expr::Call(Builtin::Position | Builtin::Last, _, _) => true,
            Expr::Call(Builtin::Name | Builtin::LocalName | Builtin::NamespaceUri, args, _) => {
                args.is_empty()
            }
            Expr::For { .. } | Expr::Quantified { .. } | Expr::UserCall(..) => true,
            _ => false,
        };
        children_focus_mut(e, &mut |c, same| {
            let (w, b) = visit(c, top && same, keys, pre);
            weight += w;
            blocked |= b;
        });
        if top && !blocked && weight >= 4 && memo_kind(e) {
            let k = match &*e {
                Expr::Call(b, args, _) => (weight, b.name(), args.len() as u32),
                Expr::Arith(op, _, _) => (weight, "arith", *op as u32),
                Expr::Cast(_, ty, _) => (weight, ty.name(), 0),
                Expr::Path(p) => (weight, "path", p.steps.len() as u32),
                _ => (weight, "", 0),
            };
            *pre.entry(k).or_insert(0) += 1;
            if let Some(s) = keys.get_mut(slot) {
                *s = Some(k);
            }
        }
        (weight, blocked)
    }
    /// The structural id of the node at pre-order position `*at` when its pre-key repeats.
    fn key(
        at: &mut usize,
        keys: &[Option<PreKey>],
        pre: &HashMap<PreKey, u32>,
        ids: &[u32],
    ) -> Option<u32> {
        let k = keys.get(*at).copied().flatten();
        let id = ids.get(*at).copied();
        *at += 1;
        let k = k?;
        (pre.get(&k).copied().unwrap_or(0) > 1)
            .then_some(id)
            .flatten()
    }
    fn wrap(
        e: &mut Expr,
        at: &mut usize,
        keys: &[Option<PreKey>],
        pre: &HashMap<PreKey, u32>,
        ids: &[u32],
        seen: &mut Seen,
    ) {
        let mut id = None;
        if let Some((n, i)) = key(at, keys, pre, ids).and_then(|k| seen.get_mut(&k)) {
            if *n > 1 {
                if *i == 0 {
                    *i = fresh_memo_id();
                }
                id = Some(*i);
            }
        }
        children_focus_mut(e, &mut |c, _| wrap(c, at, keys, pre, ids, seen));
        if let Some(id) = id {
            let inner = std::mem::replace(e, Expr::Seq(Vec::new()));
            *e = Expr::Memo(Box::new(inner), id);
        }
    }
    let mut keys = Vec::new();
    let mut pre = HashMap::new();
    visit(e, true, &mut keys, &mut pre);
    if !pre.values().any(|n| *n > 1) {
        return;
    }
    let ids = canonical_ids(e);
    let mut seen = Seen::new();
    // occurrences per structural id (keys and ids are both in pre-order: no walk needed)
    for mut at in 0..keys.len() {
        if let Some(k) = key(&mut at, &keys, &pre, &ids) {
            seen.entry(k).or_insert((0, 0)).0 += 1;
        }
    }
    if seen.values().any(|(n, _)| *n > 1) {
        wrap(e, &mut 0, &keys, &pre, &ids, &mut seen);
    }
}

fn is_keyword_start(n: &str, next: T<'_>) -> bool {
    matches!((n, next), ("for" | "some" | "every", T::Dollar))
}

fn step_calls_user_function(s: &Step) -> bool {
    matches!(&s.kind, StepKind::Expr(e) if e.calls_user_function())
        || s.preds.iter().any(|p| p.expr.calls_user_function())
}

fn desc_or_self() -> Step {
    Step {
        kind: StepKind::Axis(Axis::DescendantOrSelf, NodeTest::Kind(KindTest::AnyNode)),
        preds: Vec::new(),
    }
}

/// `descendant-or-self::node()/child::x[p]` → `descendant::x[p]` when no predicate depends on
/// position.
fn optimize_steps(steps: Vec<(Step, usize)>) -> Vec<(Step, usize)> {
    let mut out: Vec<(Step, usize)> = Vec::with_capacity(steps.len());
    for (s, end) in steps {
        let mergeable = matches!(s.kind, StepKind::Axis(Axis::Child, _))
            && s.preds.iter().all(|p| p.kind == PredKind::Bool);
        let prev_is_dos = out.last().is_some_and(|(p, _)| {
            p.preds.is_empty()
                && matches!(
                    p.kind,
                    StepKind::Axis(Axis::DescendantOrSelf, NodeTest::Kind(KindTest::AnyNode))
                )
        });
        if prev_is_dos && s.preds.is_empty() {
            if let StepKind::Expr(e) = &s.kind {
                if union_of_child_steps(e) {
                    // `//(a | b)` = `(descendant::a | descendant::b)` from the same context
                    out.pop();
                    let StepKind::Expr(e) = s.kind else {
                        continue;
                    };
                    out.push((
                        Step {
                            kind: StepKind::Expr(to_descendant(e)),
                            preds: Vec::new(),
                        },
                        end,
                    ));
                    continue;
                }
            }
        }
        let attr_mergeable = matches!(s.kind, StepKind::Axis(Axis::Attribute, _))
            && s.preds.iter().all(|p| p.kind == PredKind::Bool);
        if attr_mergeable && prev_is_dos {
            out.pop();
            let StepKind::Axis(_, test) = s.kind else {
                continue;
            };
            out.push((
                Step {
                    kind: StepKind::Axis(Axis::DescendantOrSelfAttribute, test),
                    preds: s.preds,
                },
                end,
            ));
            continue;
        }
        if mergeable && prev_is_dos {
            out.pop();
            let StepKind::Axis(_, test) = s.kind else {
                continue;
            };
            out.push((
                Step {
                    kind: StepKind::Axis(Axis::Descendant, test),
                    preds: s.preds,
                },
                end,
            ));
        } else {
            out.push((s, end));
        }
    }
    out
}

/// True for `a | b | …` where each operand is a relative one-step child path without
/// positional predicates.
fn union_of_child_steps(e: &Expr) -> bool {
    match e {
        Expr::Union(a, b) => union_of_child_steps(a) && union_of_child_steps(b),
        Expr::Path(p) => {
            matches!(p.start, PathStart::Context)
                && matches!(&*p.steps, [s] if matches!(s.kind, StepKind::Axis(Axis::Child, _))
                    && s.preds.iter().all(|p| p.kind == PredKind::Bool))
        }
        _ => false,
    }
}

fn to_descendant(e: Expr) -> Expr {
    match e {
        Expr::Union(a, b) => Expr::Union(Box::new(to_descendant(*a)), Box::new(to_descendant(*b))),
        Expr::Path(p) => {
            let p = *p;
            let steps = p
                .steps
                .into_vec()
                .into_iter()
                .map(|s| match s.kind {
                    StepKind::Axis(Axis::Child, t) => Step {
                        kind: StepKind::Axis(Axis::Descendant, t),
                        preds: s.preds,
                    },
                    k => Step {
                        kind: k,
                        preds: s.preds,
                    },
                })
                .collect();
            Expr::Path(Box::new(PathExpr::new(p.start, steps)))
        }
        other => other,
    }
}

pub(crate) fn make_pred(e: Expr) -> Pred {
    let kind = match &e {
        Expr::Literal(Literal::Integer(i)) => PredKind::Index(usize::try_from(*i).unwrap_or(0)),
        _ if !e.uses_position() && e.never_numeric() => PredKind::Bool,
        _ => PredKind::General,
    };
    Pred { expr: e, kind }
}

fn unquote(raw: &str) -> String {
    let q = raw.chars().next().unwrap_or('\'');
    let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or_default();
    let doubled: String = [q, q].iter().collect();
    inner.replace(&doubled, &q.to_string())
}

fn parse_number(n: &str) -> Option<Literal> {
    if n.contains(['e', 'E']) {
        return n.parse::<f64>().ok().map(Literal::Double);
    }
    if n.contains('.') {
        return Some(match Decimal::from_str_exact(n) {
            Ok(d) => Literal::Decimal(d),
            Err(_) => Literal::BigNumber(n.into(), false),
        });
    }
    Some(match n.parse::<i64>() {
        Ok(i) => Literal::Integer(i),
        Err(_) => Literal::BigNumber(n.into(), true),
    })
}

/// Parses a standalone sequence type (XSLT `as` attributes).
pub(crate) fn parse_sequence_type(src: &str, ctx: &StaticContext) -> PResult<SequenceType> {
    let mut p = Parser::new(src, ctx, &[], &[], 0)?;
    let t = p.sequence_type()?;
    if p.peek() != T::Eof {
        return Err(p.error("unexpected text after the sequence type"));
    }
    Ok(t)
}
