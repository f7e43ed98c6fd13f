package addressbook

import "testing"

// benchAddresses are typical registrations: most in simplified characters,
// some with full-width digits, brackets, Chinese numerals or traditional
// characters.
var benchAddresses = []string{
	"东莞市长安镇乌沙社区兴发南路128号3栋502室",
	"广东省东莞市南城街道鸿福路88号之一汇峰大厦15楼1501（自编A区）",
	"东莞市塘厦镇林村社区林村新村三巷12号",
	"虎门镇连升中路一百零八号2楼",
	"东莞市东城街道主山社区东城大道２３８号",
	"东莞市大朗镇长塘社区长塘路18号金域花园二期5栋1单元302",
	"东莞市凤岗镇雁田村雁田工业区3幢2楼",
	"东莞市南城街道鸿福路88号汇峰大厦首层铺位3",
	"东莞南城鸿福路200号",
	"東莞市長安鎮烏沙社區興發南路128號3棟502室",
}

func BenchmarkNormalize(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Normalize(benchAddresses[i%len(benchAddresses)])
	}
}

// BenchmarkNormalizeSimplified leaves out the address in traditional
// characters, which goes through OpenCC (about 20 µs).
func BenchmarkNormalizeSimplified(b *testing.B) {
	addrs := benchAddresses[:len(benchAddresses)-1]
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Normalize(addrs[i%len(addrs)])
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Parse(benchAddresses[i%len(benchAddresses)])
	}
}

func BenchmarkParseSimplified(b *testing.B) {
	addrs := benchAddresses[:len(benchAddresses)-1]
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Parse(addrs[i%len(addrs)])
	}
}

func BenchmarkBuildingKey(b *testing.B) {
	labels := []string{"1栋", "A座", "3号厂房", "宿舍楼", "12"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		BuildingKey(labels[i%len(labels)])
	}
}

func BenchmarkRoomKey(b *testing.B) {
	labels := []string{"301", "1502", "铺位3", "档口12", "B101"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		RoomKey(labels[i%len(labels)])
	}
}
