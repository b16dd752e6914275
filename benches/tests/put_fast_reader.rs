//! The bench's realistic `put` is read entirely by the fast reader (`ld_eval::JsonCursor`), and
//! each of its flags exactly as `serde` reads it: the `put_parse` figures measure the fast path,
//! not a silent fallback.

use ld_benches::put_fixture::{FLAGS, flag_json, put_data};
use ld_eval::{Flag, JsonCursor};
use ld_store::AllData;

#[test]
fn every_flag_of_the_bench_fixture_is_read_fast_exactly_as_serde_reads_it() {
    for i in 0..FLAGS {
        let json = flag_json(i);
        let fast = JsonCursor::new(&json).read_flag().expect("read fast");
        let serde: Flag = serde_json::from_str(&json).expect("valid");
        assert_eq!(fast, serde, "{json}");
        assert_eq!(
            serde_json::to_value(&fast).unwrap(),
            serde_json::to_value(&serde).unwrap()
        );
    }
}

#[test]
fn the_whole_put_of_the_bench_fixture_is_read_by_the_fast_reader() {
    let data = put_data(FLAGS);
    let mut c = JsonCursor::new(&data);
    let mut all = None;
    let mut field = c.first_key().unwrap();
    while let Some(name) = field {
        if name == "data" {
            all = Some(AllData::read_json(&mut c).expect("the fast reader reads the whole put"));
        } else {
            c.skip_value().unwrap();
        }
        field = c.next_key().unwrap();
    }
    c.end().unwrap();
    assert_eq!(all.unwrap().flags.len(), FLAGS);
}
