//! The token level of an n-gram model (characters or whitespace-separated words) and its
//! vocabulary: the three specials `<unk>` (id 0), `<s>` (id 1), `</s>` (id 2), then the tokens in
//! the order they were first seen.

use std::collections::HashMap;

use crate::error::{Error, Result};

/// Id of `<unk>` (tokens outside the vocabulary).
pub const UNK: u32 = 0;
/// Id of `<s>` (sentence start; a context, never predicted).
pub const BOS: u32 = 1;
/// Id of `</s>` (sentence end).
pub const EOS: u32 = 2;
/// Spelling of the specials, by id.
pub const SPECIALS: [&str; 3] = ["<unk>", "<s>", "</s>"];

/// What one token of a sentence is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Every Unicode scalar value (spaces included) is a token.
    Char,
    /// Tokens are the whitespace-separated words.
    Word,
}

impl Level {
    /// Parses `'char'` or `'word'`; the error names `level`.
    pub fn parse(s: &str) -> Result<Level> {
        match s {
            "char" => Ok(Level::Char),
            "word" => Ok(Level::Word),
            _ => Err(Error::invalid("level", format!("expected 'char' or 'word', got '{s}'"))),
        }
    }

    /// `'char'` or `'word'`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Char => "char",
            Level::Word => "word",
        }
    }

    /// Splits `text` into tokens: characters (`Char`) or whitespace-separated words (`Word`).
    pub fn tokens(self, text: &str) -> Vec<&str> {
        match self {
            Level::Char => text.char_indices().map(|(i, c)| &text[i..i + c.len_utf8()]).collect(),
            Level::Word => text.split_whitespace().collect(),
        }
    }
}

/// Token strings and their ids.
#[derive(Clone, Debug)]
pub struct Vocab {
    tokens: Vec<String>,
    index: HashMap<String, u32>,
}

impl Default for Vocab {
    fn default() -> Self {
        Self::new()
    }
}

impl Vocab {
    /// A vocabulary of the three specials only.
    pub fn new() -> Vocab {
        let mut v = Vocab { tokens: Vec::new(), index: HashMap::new() };
        for s in SPECIALS {
            v.insert(s);
        }
        v
    }

    /// The id of `token`, adding it at the end when new.
    pub fn insert(&mut self, token: &str) -> u32 {
        if let Some(&id) = self.index.get(token) {
            return id;
        }
        let id = self.tokens.len() as u32;
        self.tokens.push(token.to_string());
        self.index.insert(token.to_string(), id);
        id
    }

    /// The id of `token`, or `None` when it is not in the vocabulary.
    pub fn get(&self, token: &str) -> Option<u32> {
        self.index.get(token).copied()
    }

    /// The id of `token`, or [`UNK`].
    pub fn id(&self, token: &str) -> u32 {
        self.get(token).unwrap_or(UNK)
    }

    /// The spelling of token `id`.
    pub fn token(&self, id: u32) -> &str {
        &self.tokens[id as usize]
    }

    /// Number of tokens, specials included.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Always false: the specials are always there.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// All tokens by id.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }
}

/// The ARPA spelling of a character token: `<space>` for `' '`, `<U+XXXX>` for other whitespace
/// (ARPA separates fields by whitespace), the character itself otherwise.
pub fn char_to_arpa(token: &str) -> String {
    let mut it = token.chars();
    match (it.next(), it.next()) {
        (Some(' '), None) => "<space>".to_string(),
        (Some(c), None) if c.is_whitespace() => format!("<U+{:04X}>", c as u32),
        _ => token.to_string(),
    }
}

/// The character token an ARPA field of a character model spells (see [`char_to_arpa`]); `None`
/// when the field is neither a special, `<space>`, `<U+XXXX>` nor one character.
pub fn char_from_arpa(field: &str) -> Option<String> {
    if SPECIALS.contains(&field) {
        return Some(field.to_string());
    }
    if field == "<space>" {
        return Some(" ".to_string());
    }
    if let Some(hex) = field.strip_prefix("<U+").and_then(|s| s.strip_suffix('>')) {
        return u32::from_str_radix(hex, 16).ok().and_then(char::from_u32).map(|c| c.to_string());
    }
    let mut it = field.chars();
    match (it.next(), it.next()) {
        (Some(_), None) => Some(field.to_string()),
        _ => None,
    }
}
