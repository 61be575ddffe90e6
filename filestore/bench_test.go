//go:build unix && !solaris && !aix

package filestore_test

import "testing"

// BenchmarkFileStoreDurableWrite saves a small installation state: a
// version check and an atomic, durable write (two fsyncs) each time.
func BenchmarkFileStoreDurableWrite(b *testing.B) {
	s := MustOpen(b, b.TempDir())
	st := sampleState()
	b.ReportAllocs()
	for b.Loop() {
		v, err := s.SaveInstallation(ctx, "app", st)
		if err != nil {
			b.Fatal(err)
		}
		st.Version = v
	}
}
