package apf

// Deal deals a hand of handSize distinct cards (queue indices) out of a
// deck of deckSize, using hash as the only source of entropy, and appends
// them to hand in the order dealt. It is shufflesharding.Dealer.Deal of
// k8s.io/apiserver/pkg/util/shufflesharding: hash is read as a mixed-radix
// number with digits in base deckSize, deckSize-1, …; digit i picks among
// the cards not yet dealt. The caller guarantees 1 ≤ handSize ≤ deckSize
// (Config.Validate checks it); upstream allows handSize ≤ 15.
func Deal(hash uint64, deckSize, handSize int, hand []int) []int {
	var remainders [64]int
	for i := 0; i < handSize; i++ {
		base := uint64(deckSize - i)
		next := hash / base
		remainders[i] = int(hash - base*next)
		hash = next
	}
	for i := 0; i < handSize; i++ {
		card := remainders[i]
		// card indexes the deck without cards 0…i-1. Undo those removals,
		// latest first: card j-1 sat at index remainders[j-1] of the deck
		// without cards 0…j-2, so indices at or past it shift up by one.
		for j := i; j > 0; j-- {
			if card >= remainders[j-1] {
				card++
			}
		}
		hand = append(hand, card)
	}
	return hand
}
