// Package quantity parses Kubernetes resource quantities ("500m", "1.5Gi",
// "2e3") exactly, as k8s.io/apimachinery/pkg/api/resource.Quantity does,
// and rounds them up the way Quantity.MilliValue and Quantity.Value do.
//
// Scenario files (package scenarios) and the object model (model/objects)
// both parse quantities here.
//
// Differences from upstream: a negative quantity is an error (no capacity
// or request is negative), and so is one too large for an int64 (upstream
// silently caps it at 2^63-1).
package quantity

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Quantities follow the grammar of Kubernetes' resource.Quantity
// (k8s.io/apimachinery pkg/api/resource/quantity.go):
//
//	quantity ::= sign? number suffix
//	number   ::= digits | digits "." digits? | "." digits
//	suffix   ::= "" | n | u | m | k | M | G | T | P | E          (decimal SI)
//	           | Ki | Mi | Gi | Ti | Pi | Ei                     (binary SI)
//	           | ("e" | "E") sign? digits                        (decimal exponent)
//
// They are evaluated exactly (math/big) and rounded up, as Quantity's
// Value and MilliValue do. Negative quantities are rejected: no capacity is
// negative.

// decimalSuffixes maps a decimal SI suffix to its power of ten.
var decimalSuffixes = map[string]int{
	"n": -9, "u": -6, "m": -3, "": 0,
	"k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18,
}

// binarySuffixes maps a binary SI suffix to its power of two.
var binarySuffixes = map[string]int{
	"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60,
}

// maxExponent bounds the decimal exponent we evaluate: anything bigger than
// 10^40 overflows int64 whatever its digits, and evaluating 10^huge would
// cost unbounded memory.
const maxExponent = 40

// Errors a caller may want to tell apart.
var (
	ErrTooLarge = errors.New("too large")
	ErrNegative = errors.New("must not be negative")
)

// quantity is a parsed, non-negative quantity: digits × 10^exp10 × 2^exp2.
type quantity struct {
	digits *big.Int
	exp10  int64
	exp2   int
}

// parseQuantity parses s with the Kubernetes quantity grammar.
func parseQuantity(s string) (quantity, error) {
	if s == "" {
		return quantity{}, errors.New("empty quantity")
	}
	rest := s
	negative := false
	if rest[0] == '+' || rest[0] == '-' {
		negative = rest[0] == '-'
		rest = rest[1:]
	}
	intPart, rest := leadingDigits(rest)
	fracPart := ""
	if strings.HasPrefix(rest, ".") {
		fracPart, rest = leadingDigits(rest[1:])
	}
	if intPart == "" && fracPart == "" {
		return quantity{}, errors.New("no digits")
	}
	q := quantity{digits: new(big.Int)}
	q.digits.SetString(intPart+fracPart, 10) // digits only: cannot fail
	exp10, exp2, err := parseSuffix(rest)
	if err != nil {
		return quantity{}, err
	}
	if negative && q.digits.Sign() != 0 {
		return quantity{}, ErrNegative
	}
	// Exponents beyond ±2^40 behave alike (too large, or a sliver above 0);
	// clamping keeps the arithmetic below from wrapping.
	q.exp10 = max(min(exp10, 1<<40), -1<<40) - int64(len(fracPart))
	q.exp2 = exp2
	return q, nil
}

// leadingDigits splits s after its leading run of ASCII digits.
func leadingDigits(s string) (digits, rest string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i], s[i:]
}

// parseSuffix returns the power of ten and the power of two a suffix means.
func parseSuffix(suffix string) (exp10 int64, exp2 int, err error) {
	if e, ok := decimalSuffixes[suffix]; ok {
		return int64(e), 0, nil
	}
	if e, ok := binarySuffixes[suffix]; ok {
		return 0, e, nil
	}
	if len(suffix) > 1 && (suffix[0] == 'e' || suffix[0] == 'E') {
		exponent := suffix[1:]
		if exponent[0] == '+' || exponent[0] == '-' {
			exponent = exponent[1:]
		}
		if digits, rest := leadingDigits(exponent); digits != "" && rest == "" {
			e, err := strconv.ParseInt(suffix[1:], 10, 64)
			if err != nil {
				return 0, 0, fmt.Errorf("exponent %q out of range", suffix[1:])
			}
			return e, 0, nil
		}
	}
	return 0, 0, fmt.Errorf("unknown suffix %q", suffix)
}

// ceilScaled returns ceil(q × 10^scale10) as an int64.
func (q quantity) ceilScaled(scale10 int64) (int64, error) {
	if q.digits.Sign() == 0 {
		return 0, nil
	}
	exp10 := q.exp10 + scale10
	n := new(big.Int).Lsh(q.digits, uint(q.exp2))
	if exp10 >= 0 {
		if exp10 > maxExponent {
			return 0, ErrTooLarge
		}
		n.Mul(n, pow10(exp10))
		return int64OrTooLarge(n)
	}
	// A divisor with more digits than n (plus one) leaves 0 < value < 1.
	if -exp10 > int64(len(n.String()))+1 {
		return 1, nil
	}
	quotient, remainder := new(big.Int).QuoRem(n, pow10(-exp10), new(big.Int))
	if remainder.Sign() != 0 {
		quotient.Add(quotient, big.NewInt(1))
	}
	return int64OrTooLarge(quotient)
}

func pow10(e int64) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(e), nil)
}

func int64OrTooLarge(n *big.Int) (int64, error) {
	if !n.IsInt64() {
		return 0, ErrTooLarge
	}
	return n.Int64(), nil
}

// ParseMilli parses a quantity such as "500m", "1.5" or "2k" and
// returns it in thousandths, rounded up (Kubernetes' MilliValue): CPU in
// millicores.
func ParseMilli(s string) (int64, error) {
	q, err := parseQuantity(s)
	if err != nil {
		return 0, err
	}
	return q.ceilScaled(3)
}

// ParseValue parses a quantity such as "64Gi", "1e3" or "5M" and returns
// it rounded up to a whole unit (Kubernetes' Value): memory in bytes.
func ParseValue(s string) (int64, error) {
	q, err := parseQuantity(s)
	if err != nil {
		return 0, err
	}
	return q.ceilScaled(0)
}
