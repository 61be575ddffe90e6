package license

// Evaluations returns how many evaluations the Manager has run, so that
// tests can hold a change to its cost.
func (m *Manager) Evaluations() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.evals
}
