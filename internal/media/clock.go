package media

import "time"

// VideoClockRate is the RTP clock rate of H.264 and H.265 video (RFC 6184,
// RFC 7798) and the timescale of patrol's MP4 clips: 90 kHz.
const VideoClockRate = 90000

// TicksToDuration converts ticks of a clock running at rate Hz (> 0) to a
// duration, rounded toward zero. It splits whole seconds from the remainder
// so that it is exact for every tick count whose duration fits a
// time.Duration (about 292 years at any rate), where the naive
// time.Duration(ticks)*time.Second/rate overflows after 2^63 ns / rate ticks
// (28.5 hours of a 90 kHz stream).
func TicksToDuration(ticks, rate int64) time.Duration {
	secs, rem := ticks/rate, ticks%rate
	return time.Duration(secs)*time.Second + time.Duration(rem*int64(time.Second)/rate)
}

// DurationToTicks converts d to ticks of a clock running at rate Hz (> 0),
// rounded to the nearest tick, exactly for any duration (no intermediate
// product beyond rate * 1e9).
func DurationToTicks(d time.Duration, rate int64) int64 {
	secs, rem := int64(d/time.Second), int64(d%time.Second)
	half := int64(time.Second) / 2
	if rem < 0 {
		half = -half
	}
	return secs*rate + (rem*rate+half)/int64(time.Second)
}

// RTPTimestamp is the 32-bit RTP timestamp of media time d on a stream whose
// timestamps start at base: it wraps modulo 2^32 as RFC 3550 requires, and it
// is exact for any d (no overflow after 28.5 hours).
func RTPTimestamp(base uint32, d time.Duration, rate int64) uint32 {
	return base + uint32(DurationToTicks(d, rate))
}
