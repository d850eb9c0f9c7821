//! Places on the map: each published node at the mean of its conversations, and the seeded
//! sample of points report.json carries.

use chorus_cluster::SeededRng;

use chorus_report::MapPoints;

/// The random stream of one seed that samples the map points in report.json.
const MAP_POINTS_STREAM: u64 = 0x21;

/// The mean position of `members`.
pub(crate) fn position(members: &[usize], coordinates: &[[f32; 2]]) -> Option<[f32; 2]> {
    if members.is_empty() {
        return None;
    }
    let mut sum = [0.0f64; 2];
    for &member in members {
        sum[0] += f64::from(coordinates[member][0]);
        sum[1] += f64::from(coordinates[member][1]);
    }
    let count = members.len() as f64;
    Some([
        round_coordinate(sum[0] / count),
        round_coordinate(sum[1] / count),
    ])
}

/// Map coordinates keep three decimals: finer than any screen shows, and a smaller report.
fn round_coordinate(value: f64) -> f32 {
    ((value * 1000.0).round() / 1000.0) as f32
}

/// A seeded sample of at most `count` conversations' map positions, each with `owners`' entry
/// for it: the deepest published node that holds it (an "Other" node for conversations in
/// unpublished clusters); conversations no published node holds are left out.
pub(crate) fn map_points(
    owners: &[Option<String>],
    coordinates: &[[f32; 2]],
    count: usize,
    seed: u64,
) -> MapPoints {
    let mut chosen: Vec<usize> = (0..coordinates.len()).collect();
    if chosen.len() > count {
        SeededRng::new(seed, MAP_POINTS_STREAM).shuffle(&mut chosen);
        chosen.truncate(count);
        chosen.sort_unstable();
    }
    let mut points = MapPoints::default();
    for row in chosen {
        let Some(owner) = owners.get(row).and_then(Option::as_ref) else {
            continue;
        };
        points
            .x
            .push(round_coordinate(f64::from(coordinates[row][0])));
        points
            .y
            .push(round_coordinate(f64::from(coordinates[row][1])));
        points.cluster.push(owner.clone());
    }
    points
}
