//! The one error type of the core crate. Every variant names the argument (or file) it is about,
//! so the binding can turn it into a JavaScript error whose message a user can act on.

/// Errors returned by seqlearn-core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An argument has a value outside its domain (a length of 0, a NaN, an unknown name, …).
    #[error("{arg}: {message}")]
    InvalidArgument {
        /// The argument's name as the user wrote it (`lengths`, `h0`, `weight_ih_l0`, …).
        arg: String,
        /// What was expected and what was found.
        message: String,
    },
    /// A tensor argument has the wrong shape.
    #[error("{arg}: expected shape {expected}, got {actual}")]
    Shape {
        /// The argument's name.
        arg: String,
        /// The expected shape, e.g. `[7, 4, 5]`.
        expected: String,
        /// The shape that was given.
        actual: String,
    },
    /// A file's contents are not what its format requires.
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: String,
        /// What is wrong, with the byte offset where it helps.
        message: String,
    },
    /// An operating-system I/O error on a file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A call that is not valid in the object's current state (e.g. `backward` with no cached forward).
    #[error("{0}")]
    State(String),
}

impl Error {
    /// A stable machine-readable code, surfaced to JavaScript as `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidArgument { .. } => "ERR_SEQLEARN_INVALID_ARG",
            Error::Shape { .. } => "ERR_SEQLEARN_SHAPE",
            Error::Format { .. } => "ERR_SEQLEARN_FORMAT",
            Error::Io { .. } => "ERR_SEQLEARN_IO",
            Error::State(_) => "ERR_SEQLEARN_STATE",
        }
    }

    /// Shorthand for [`Error::InvalidArgument`].
    pub fn invalid(arg: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidArgument { arg: arg.into(), message: message.into() }
    }

    /// Shorthand for [`Error::Shape`] from two shapes.
    pub fn shape(arg: impl Into<String>, expected: &[usize], actual: &[usize]) -> Self {
        Error::Shape { arg: arg.into(), expected: format!("{expected:?}"), actual: format!("{actual:?}") }
    }
}

/// Result alias of the core crate.
pub type Result<T> = std::result::Result<T, Error>;
