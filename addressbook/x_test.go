package addressbook
import ("testing";"fmt")
func TestX(t *testing.T){
	for _, a := range benchAddresses { for _, r := range a { if isTraditional(r) { fmt.Printf("%c ", r) } } ; fmt.Println() }
}
