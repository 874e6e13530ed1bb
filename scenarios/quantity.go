package scenarios

import "github.com/orrery-sim/orrery/internal/quantity"

// Quantities ("4", "500m", "64Gi") are parsed exactly, as Kubernetes'
// resource.Quantity does, by package internal/quantity; these are the
// names the decoder uses.
var (
	errQuantityTooLarge = quantity.ErrTooLarge
	errQuantityNegative = quantity.ErrNegative
)

// parseMilliValue is a quantity in thousandths, rounded up (CPU millicores).
func parseMilliValue(s string) (int64, error) { return quantity.ParseMilli(s) }

// parseValue is a quantity in units, rounded up (bytes).
func parseValue(s string) (int64, error) { return quantity.ParseValue(s) }

// leadingDigits splits s after its leading ASCII digits.
func leadingDigits(s string) (digits, rest string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i], s[i:]
}
