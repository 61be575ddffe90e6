package console

import (
	"fmt"

	"github.com/licensekit/license"
)

// errBadPage: a history page asked for with a cursor that is not a
// number of zero or more.
var errBadPage = fmt.Errorf("%w: the page asked for is not a number of zero or more", license.ErrInvalidInput)
