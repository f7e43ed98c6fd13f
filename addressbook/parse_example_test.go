package addressbook_test

import (
	"fmt"

	"github.com/gridsentry/gridsentry/addressbook"
)

func ExampleNormalize() {
	fmt.Println(addressbook.Normalize("東莞市長安鎮 興發南路一百零八號之一（自編A區）"))
	fmt.Println(addressbook.Normalize("同沙一路１０８#第一栋三楼"))
	// Output:
	// 东莞市长安镇兴发南路108-1号
	// 同沙一路108号1栋3楼
}

func ExampleParse() {
	c := addressbook.Parse("广东省东莞市南城街道鸿福路88号之一汇峰大厦15楼1501（自编A区）")
	fmt.Printf("%s|%s|%s|%s %d-%d|%s|floor %d|room %s|%s\n",
		c.Province, c.City, c.Town, c.Road, c.Number, c.SubNumber, c.Place, c.Floor, c.Room, c.Remarks)

	c = addressbook.Parse("东莞长安乌沙社区兴发南路128号三栋五零二")
	fmt.Printf("%s|%s|%s|%s %d|%s|room %s\n", c.City, c.Town, c.Village, c.Road, c.Number, c.Building, c.Room)
	// Output:
	// 广东省|东莞市|南城街道|鸿福路 88-1|汇峰大厦|floor 15|room 1501|自编A区
	// 东莞|长安|乌沙社区|兴发南路 128|3栋|room 502
}

func ExampleBuildingKey() {
	for _, label := range []string{"1栋", "第一栋", "1号楼", "A座", "3#厂房", "厂房3"} {
		fmt.Print(addressbook.BuildingKey(label), " ")
	}
	fmt.Println()
	// Output: 1 1 1 A 厂房3 厂房3
}

func ExampleRoomKey() {
	for _, label := range []string{"301", "301室", "三零一房", "3号铺", "12档", "B101"} {
		fmt.Print(addressbook.RoomKey(label), " ")
	}
	fmt.Println()
	// Output: 301 301 301 铺位3 档口12 B101
}
