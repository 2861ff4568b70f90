// Package sim is patrol's test camera: an RTSP server (gortsplib) that serves
// one looping H.264 or H.265 stream per path, made either from a video file
// or from a scripted scene of real object crops moving over a real
// background. Streams are encoded once, before serving, and then the
// compressed units are looped in real time, so the simulator costs little
// CPU while it serves. A scene also yields its ground truth.
package sim
