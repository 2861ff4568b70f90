// Package publisher cuts evidence and publishes candidate cases.
package publisher
