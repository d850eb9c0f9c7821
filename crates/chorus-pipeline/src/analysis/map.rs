//! Places on the map: each node at the mean of its conversations, and the seeded sample of
//! points report.json carries.

use chorus_cluster::SeededRng;

use crate::report::{MapPoints, ReportNode};

/// The random stream of one seed that samples the map points in report.json.
const MAP_POINTS_STREAM: u64 = 0x21;

/// Each node's place: the mean position of its conversations (the root has none of its own).
pub(super) fn place_nodes(node: &mut ReportNode, coordinates: &[[f32; 2]]) {
    if !node.members.is_empty() {
        let mut sum = [0.0f64; 2];
        for &member in &node.members {
            sum[0] += f64::from(coordinates[member][0]);
            sum[1] += f64::from(coordinates[member][1]);
        }
        let count = node.members.len() as f64;
        node.position = Some([
            round_coordinate(sum[0] / count),
            round_coordinate(sum[1] / count),
        ]);
    }
    for child in &mut node.children {
        place_nodes(child, coordinates);
    }
}

/// Map coordinates keep three decimals: finer than any screen shows, and a smaller report.
fn round_coordinate(value: f64) -> f32 {
    ((value * 1000.0).round() / 1000.0) as f32
}

/// A seeded sample of at most `count` conversations' map positions, each with the deepest
/// published cluster that holds it (an "Other" node for conversations in unpublished clusters).
pub(super) fn map_points(
    tree: &ReportNode,
    coordinates: &[[f32; 2]],
    count: usize,
    seed: u64,
) -> MapPoints {
    fn claim<'a>(node: &'a ReportNode, owners: &mut [Option<&'a str>]) {
        for child in &node.children {
            for &member in &child.members {
                owners[member] = Some(child.id.as_str());
            }
            claim(child, owners);
        }
    }
    let mut owners: Vec<Option<&str>> = vec![None; coordinates.len()];
    claim(tree, &mut owners);
    let mut chosen: Vec<usize> = (0..coordinates.len()).collect();
    if chosen.len() > count {
        SeededRng::new(seed, MAP_POINTS_STREAM).shuffle(&mut chosen);
        chosen.truncate(count);
        chosen.sort_unstable();
    }
    let mut points = MapPoints::default();
    for row in chosen {
        let Some(owner) = owners[row] else { continue };
        points
            .x
            .push(round_coordinate(f64::from(coordinates[row][0])));
        points
            .y
            .push(round_coordinate(f64::from(coordinates[row][1])));
        points.cluster.push(owner.to_string());
    }
    points
}
