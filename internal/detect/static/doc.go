// Package static finds objects that appear in a scene and stay there,
// whatever their class: a pile of building material (0507 乱堆物堆料),
// exposed garbage (0102 暴露垃圾), a bag left on the pavement, a vendor's
// stools. The detector cannot name these (they are not COCO classes), so
// the Finder compares each analysed picture with a long-term background
// of the scene on a grid of small cells, keeps the regions that differ
// from it and do not change from picture to picture, and hands them to
// the rules as tracks labelled Label. People and vehicles, which the
// detector does name, are left to their own rules: regions they cover are
// not static objects. Nor is a region that continues outside the watched
// zone as much as half its own size (a door or pole cut by the zone's
// edge), nor one touching the picture's edge (a parked car's bumper, too
// little of it in view for the detector to name: an object must lie
// inside the picture). A sudden exposure step (auto-exposure, a cloud)
// rescales the background at once, so that what it reveals stays new.
//
// The background is written here rather than taken from OpenCV's MOG2 or
// KNN subtractors: gocv v0.31 exposes only Apply with the automatic
// learning rate, which at patrol's sampling (one picture every 1-4 s)
// absorbs a new object into the background within about ten pictures,
// long before any min_dwell. The model here learns only where nothing
// new stands, so a left object stays foreground for as long as it stays.
package static
