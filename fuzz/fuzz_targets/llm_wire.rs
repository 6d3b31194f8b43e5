//! Fuzzes what autonomic-llm reads from the network: the server's parser of a
//! `/v1/chat/completions` body, and the client's event-stream reader and its
//! reading of a completion body and of each streamed chunk. The first byte
//! picks the parser (`byte % 3`), the rest is the input. Any input gives a
//! value or an error, never a panic.
#![no_main]

use autonomic_llm::fuzzing::{self, ClientReply, StreamEvent};
use autonomic_llm::Part;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, input)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => {
            if let Ok(call) = fuzzing::serve_request(input) {
                let request = call.request;
                assert!(
                    !request.messages.is_empty(),
                    "an accepted request has messages"
                );
                assert!(
                    (1..=512).contains(&request.max_tokens),
                    "max_tokens {} outside 1..=the server's limit",
                    request.max_tokens
                );
                assert!(request.stop.len() <= 16, "more stop strings than allowed");
                for message in &request.messages {
                    for part in &message.parts {
                        if let Part::Image { data, .. } = part {
                            assert!(data.len() <= input.len(), "an image larger than the body");
                        }
                    }
                }
            }
        }
        1 => {
            if let Ok(events) = fuzzing::stream_events(input) {
                assert!(events.len() <= input.len(), "more events than bytes");
                for event in events {
                    if let StreamEvent::Data(data) = event {
                        assert!(data.len() <= input.len());
                        check(fuzzing::client_chunk(&data));
                    }
                }
            }
        }
        _ => check(fuzzing::client_completion(input)),
    }
});

fn check(reply: Result<ClientReply, String>) {
    if let Err(message) = reply {
        assert!(!message.is_empty(), "an empty protocol error");
    }
}
