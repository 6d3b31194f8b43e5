//! [`Embedder`]: the contract between a sentence encoder and what stores its
//! vectors. autonomic-llm implements it (all-MiniLM-L6-v2); agent-brain
//! consumes it. Neither depends on the other.

/// A sentence-embedding model.
pub trait Embedder: Send + Sync + std::fmt::Debug {
    /// Its name: stored vectors are tagged with it, and vectors of another
    /// name are never compared with its queries.
    fn name(&self) -> &str;
    /// Dimensions of its vectors.
    fn dims(&self) -> usize;
    /// Unit vectors for `texts`, in their order; an error as one line.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String>;
}
