use autonomic_llm::vocab::{TokenKind, Vocab};
use candle_core::quantized::gguf_file::Content;

use crate::common::model_path;

#[test]
fn reads_the_models_vocabulary() {
    let path = model_path();
    let mut file = fs_err::File::open(&path).unwrap();
    let content = Content::read(&mut file).unwrap();
    let vocab = Vocab::from_gguf(&content).unwrap();
    assert_eq!(vocab.len(), 49152);
    assert_eq!(vocab.eos, 2);
    assert_eq!(vocab.bos, Some(1));
    let im_end = vocab.id_of("<|im_end|>").unwrap();
    assert!(vocab.end_of_turn.contains(&im_end));
    assert_eq!(vocab.kinds[im_end as usize], TokenKind::Control);
    // "Ġthe" is " the" in bytes.
    let the = vocab.id_of("Ġthe").unwrap();
    assert_eq!(vocab.bytes[the as usize], b" the");
}
