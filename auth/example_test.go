package auth_test

import (
	"fmt"

	"github.com/gridsentry/gridsentry/auth"
)

func ExamplePrincipal_Can() {
	p := auth.Principal{TokenID: 7, Role: auth.GridManager, TownCode: "441900003"}
	fmt.Println(p)
	fmt.Println(p.Can(auth.ReviewFlags), p.Can(auth.Unmask))
	fmt.Println(p.SeesTown("441900003"), p.SeesTown("441900004"))
	fmt.Println(p.Require(auth.Unmask))
	// Output:
	// token 7 (grid_manager town 441900003)
	// true false
	// true false
	// a grid_manager token may not unmask
}
