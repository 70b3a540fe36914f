package host

import (
	"bytes"
	"compress/zlib"
	"io"
)

// builtinForeignFunctions are the foreign functions Envoy registers that a
// host can offer without Envoy itself (doc §6.10).
func builtinForeignFunctions() map[string]ForeignFunction {
	return map[string]ForeignFunction{
		"compress":          foreignCompress,
		"uncompress":        foreignUncompress,
		"clear_route_cache": foreignClearRouteCache,
	}
}

// compress: zlib (deflate with zlib header) of the arguments.
// Status: OK; SERIALIZATION_FAILURE on error.
func foreignCompress(_ *ForeignCall, args []byte) ([]byte, Status) {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	if _, err := w.Write(args); err != nil {
		return nil, StatusSerializationFailure
	}
	if err := w.Close(); err != nil {
		return nil, StatusSerializationFailure
	}
	return b.Bytes(), StatusOK
}

// uncompress: inflates zlib data. Status: OK; SERIALIZATION_FAILURE on a
// corrupt stream.
func foreignUncompress(_ *ForeignCall, args []byte) ([]byte, Status) {
	r, err := zlib.NewReader(bytes.NewReader(args))
	if err != nil {
		return nil, StatusSerializationFailure
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return nil, StatusSerializationFailure
	}
	return out, StatusOK
}

// clear_route_cache: asks the embedder to recompute the calling stream's
// route, after the guest call returns. Status: OK (nothing to clear outside
// an HTTP stream).
func foreignClearRouteCache(c *ForeignCall, _ []byte) ([]byte, Status) {
	if c.Stream != nil {
		c.vm.defer_(deferredAction{kind: actClearRouteCache, http: c.Stream})
	}
	return nil, StatusOK
}
