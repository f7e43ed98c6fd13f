package addressbook

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

type parseCase struct {
	name string
	in   string
	want Components
}

func runParseCases(t *testing.T, cases []parseCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Parse(tt.in)); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseAdminLevels(t *testing.T) {
	runParseCases(t, []parseCase{
		{"full", "广东省东莞市长安镇乌沙社区兴发南路128号",
			Components{Province: "广东省", City: "东莞市", Town: "长安镇", Village: "乌沙社区", Road: "兴发南路", Number: 128}},
		{"city doubled", "广东省东莞市东莞市长安镇兴发南路128号",
			Components{Province: "广东省", City: "东莞市", Town: "长安镇", Road: "兴发南路", Number: 128}},
		{"province without 省", "广东东莞长安镇兴发南路128号",
			Components{Province: "广东", City: "东莞", Town: "长安镇", Road: "兴发南路", Number: 128}},
		{"city without 市, town stem", "东莞南城鸿福路88号",
			Components{City: "东莞", Town: "南城", Road: "鸿福路", Number: 88}},
		{"town as 区", "东莞市南城区鸿福路88号",
			Components{City: "东莞市", Town: "南城区", Road: "鸿福路", Number: 88}},
		{"town as 街道办", "东莞市南城街道办鸿福路88号",
			Components{City: "东莞市", Town: "南城街道办", Road: "鸿福路", Number: 88}},
		{"no city", "长安镇兴发南路128号",
			Components{Town: "长安镇", Road: "兴发南路", Number: 128}},
		{"town stem alone", "长安乌沙社区兴发南路128号",
			Components{Town: "长安", Village: "乌沙社区", Road: "兴发南路", Number: 128}},
		{"town doubled", "东莞市长安镇长安镇乌沙社区",
			Components{City: "东莞市", Town: "长安镇", Village: "乌沙社区"}},
		{"town doubled as stem", "东莞市长安镇长安乌沙社区",
			Components{City: "东莞市", Town: "长安镇", Village: "乌沙社区"}},
		{"functional zone", "东莞市松山湖科技九路1号",
			Components{City: "东莞市", Town: "松山湖", Road: "科技九路", Number: 1}},
		{"functional zone alias", "东莞市松山湖高新区科技九路1号",
			Components{City: "东莞市", Town: "松山湖高新区", Road: "科技九路", Number: 1}},
		{"zone starting with 东莞", "东莞滨海湾新区沙角社区沙角路1号",
			Components{Town: "东莞滨海湾新区", Village: "沙角社区", Road: "沙角路", Number: 1}},
		{"东莞港", "东莞港沙田临港路1号",
			Components{Town: "东莞港", Road: "沙田临港路", Number: 1}},
		{"unknown town with 镇 (typo)", "东莞市塘夏镇林村社区振兴路12号",
			Components{City: "东莞市", Town: "塘夏镇", Village: "林村社区", Road: "振兴路", Number: 12}},
		{"road named after the town", "东莞市东城大道88号",
			Components{City: "东莞市", Road: "东城大道", Number: 88}},
		{"road named after the town with direction", "东莞市东城中路88号",
			Components{City: "东莞市", Road: "东城中路", Number: 88}},
		{"road named after the city", "东莞大道88号",
			Components{Road: "东莞大道", Number: 88}},
		{"town stem then a road starting with a direction", "东莞市东城东纵路18号",
			Components{City: "东莞市", Town: "东城", Road: "东纵路", Number: 18}},
		{"place named after the town", "东莞市长安工业区3号厂房",
			Components{City: "东莞市", Place: "长安工业区", Building: "3号厂房"}},
		{"village named after the town", "东莞市塘厦社区迎宾大道10号",
			Components{City: "东莞市", Village: "塘厦社区", Road: "迎宾大道", Number: 10}},
		{"village starting with a town stem", "东莞市石龙坑村兴业路18号",
			Components{City: "东莞市", Village: "石龙坑村", Road: "兴业路", Number: 18}},
		{"village starting with another town stem", "东莞市东坑镇长安塘村8号",
			Components{City: "东莞市", Town: "东坑镇", Village: "长安塘村", Number: 8}},
		{"village starting with a road keyword after a stem", "东莞市滨海湾路东社区松山三路316号",
			Components{City: "东莞市", Town: "滨海湾", Village: "路东社区", Road: "松山三路", Number: 316}},
		{"village starting with a place keyword after a stem", "东莞南城中心社区鸿福路1号",
			Components{City: "东莞", Town: "南城", Village: "中心社区", Road: "鸿福路", Number: 1}},
		{"village starting with 巷 after a stem", "东莞大朗巷头社区富民路8号",
			Components{City: "东莞", Town: "大朗", Village: "巷头社区", Road: "富民路", Number: 8}},
		{"市 in a village name", "东莞市莞城区市桥社区市桥路10号",
			Components{City: "东莞市", Town: "莞城区", Village: "市桥社区", Road: "市桥路", Number: 10}},
		{"field label", "地址：东莞市长安镇乌沙社区兴发南路128号",
			Components{City: "东莞市", Town: "长安镇", Village: "乌沙社区", Road: "兴发南路", Number: 128}},
		{"stem before 路口", "东莞市东城街道东城路口", Components{City: "东莞市", Town: "东城街道", Remarks: "东城路口"}},
		{"market is no city", "虎门市场3楼12号档口",
			Components{Place: "虎门市场", Floor: 3, Room: "档口12"}},
	})
}

func TestParseVillage(t *testing.T) {
	runParseCases(t, []parseCase{
		{"社区", "东莞市东城街道主山社区东城大道238号",
			Components{City: "东莞市", Town: "东城街道", Village: "主山社区", Road: "东城大道", Number: 238}},
		{"村", "东莞市寮步镇石龙坑村兴业路18号",
			Components{City: "东莞市", Town: "寮步镇", Village: "石龙坑村", Road: "兴业路", Number: 18}},
		{"村委会", "东莞市谢岗镇谢坑村委会谢坑路1号",
			Components{City: "东莞市", Town: "谢岗镇", Village: "谢坑村委会", Road: "谢坑路", Number: 1}},
		{"居委会", "东莞市虎门镇北栅居委会北栅东路3号",
			Components{City: "东莞市", Town: "虎门镇", Village: "北栅居委会", Road: "北栅东路", Number: 3}},
		{"村 then 村民委员会", "东莞市谢岗镇谢坑村村民委员会",
			Components{City: "东莞市", Town: "谢岗镇", Village: "谢坑村村民委员会"}},
		{"生活区", "东莞市樟木头镇樟木头生活区樟洋路88号",
			Components{City: "东莞市", Town: "樟木头镇", Village: "樟木头生活区", Road: "樟洋路", Number: 88}},
		{"not written", "东莞市长安镇兴发南路128号",
			Components{City: "东莞市", Town: "长安镇", Road: "兴发南路", Number: 128}},
		{"road in the village name", "东莞市石龙镇求富路社区求富路5号",
			Components{City: "东莞市", Town: "石龙镇", Village: "求富路社区", Road: "求富路", Number: 5}},
		{"place words in the village name", "东莞市南城街道花园新村社区花园新村路3号",
			Components{City: "东莞市", Town: "南城街道", Village: "花园新村社区", Road: "花园新村路", Number: 3}},
		{"village then a numbered road", "东莞市莞城街道西隅社区八一路12号",
			Components{City: "东莞市", Town: "莞城街道", Village: "西隅社区", Road: "八一路", Number: 12}},
		{"村 in a lane", "东莞市塘厦镇林村社区林村新村三巷12号",
			Components{City: "东莞市", Town: "塘厦镇", Village: "林村社区", Road: "林村新村三巷", Number: 12}},
		{"estate 新村 is a place", "东莞市万江街道金域新村5栋302",
			Components{City: "东莞市", Town: "万江街道", Place: "金域新村", Building: "5栋", Room: "302"}},
		{"numeral in the village name", "东莞市麻涌镇麻一村麻一大街三巷2号",
			Components{City: "东莞市", Town: "麻涌镇", Village: "麻一村", Road: "麻一大街三巷", Number: 2}},
		{"rare characters", "东莞市万江街道官桥滘社区官桥滘大街2号",
			Components{City: "东莞市", Town: "万江街道", Village: "官桥滘社区", Road: "官桥滘大街", Number: 2}},
	})
}

func TestParseRoad(t *testing.T) {
	runParseCases(t, []parseCase{
		{"路", "鸿福路88号", Components{Road: "鸿福路", Number: 88}},
		{"大道", "东城大道88号", Components{Road: "东城大道", Number: 88}},
		{"中路", "安泰中路8号", Components{Road: "安泰中路", Number: 8}},
		{"numbered road", "同沙一路28号", Components{Road: "同沙一路", Number: 28}},
		{"街", "兴华街3号", Components{Road: "兴华街", Number: 3}},
		{"大街 then lane", "同沙大街一巷3号", Components{Road: "同沙大街一巷", Number: 3}},
		{"lane in a quarter", "九曲西区一巷12号", Components{Road: "九曲西区一巷", Number: 12}},
		{"lane", "水口沿河二巷5号", Components{Road: "水口沿河二巷", Number: 5}},
		{"坊 lane", "民田西坊一巷3号", Components{Road: "民田西坊一巷", Number: 3}},
		{"坊 before its number", "民田西坊3号", Components{Road: "民田西坊", Number: 3}},
		{"road then numbered lane", "鸿福路3巷5号", Components{Road: "鸿福路3巷", Number: 5}},
		{"direction after the road", "石排大道中188号", Components{Road: "石排大道中", Number: 188}},
		{"segment", "莞樟路东城段88号", Components{Road: "莞樟路", Number: 88, Remarks: "东城段"}},
		{"number without 号", "鸿福路88", Components{Road: "鸿福路", Number: 88}},
		{"road without suffix", "东莞市长安镇兴发南128号",
			Components{City: "东莞市", Town: "长安镇", Road: "兴发南", Number: 128}},
		{"crossing", "新基路与鸿福路交汇处", Components{Road: "新基路", Remarks: "与鸿福路交汇处"}},
		{"路口", "鸿福路口", Components{Remarks: "鸿福路口"}},
	})
}

func TestParseNumber(t *testing.T) {
	runParseCases(t, []parseCase{
		{"Chinese numerals", "连升中路一百零八号", Components{Road: "连升中路", Number: 108}},
		{"full-width digits", "连升中路１０８号", Components{Road: "连升中路", Number: 108}},
		{"traditional 號", "连升中路108號", Components{Road: "连升中路", Number: 108}},
		{"hash", "连升中路108#", Components{Road: "连升中路", Number: 108}},
		{"dash sub-number", "连升中路108-1号", Components{Road: "连升中路", Number: 108, SubNumber: 1}},
		{"之一", "连升中路108号之一", Components{Road: "连升中路", Number: 108, SubNumber: 1}},
		{"之1号", "连升中路108之1号", Components{Road: "连升中路", Number: 108, SubNumber: 1}},
		{"号之十二", "连升中路108号之十二", Components{Road: "连升中路", Number: 108, SubNumber: 12}},
		{"号-1", "连升中路108号-1", Components{Road: "连升中路", Number: 108, SubNumber: 1}},
		{"附 alone is noise", "连升中路附3号", Components{Road: "连升中路", Number: 3}},
		{"号附 is a sub-number", "连升中路108号附3号", Components{Road: "连升中路", Number: 108, SubNumber: 3}},
		{"range", "连升中路108-110号", Components{Road: "连升中路", Number: 108, Remarks: "108-110号"}},
		{"sub-number larger than the odd difference", "连升中路3-4号", Components{Road: "连升中路", Number: 3, SubNumber: 4}},
		{"village doorplate", "乌沙社区128号", Components{Village: "乌沙社区", Number: 128}},
		{"leading zeros", "连升中路008号", Components{Road: "连升中路", Number: 8}},
		{"too long to be a number", "连升中路13800138000号", Components{Road: "连升中路", Remarks: "13800138000号"}},
		{"doorplate then a building word", "兴业路18号宿舍楼203房",
			Components{Road: "兴业路", Number: 18, Building: "宿舍楼", Room: "203"}},
		{"号楼下 is downstairs", "鸿福路88号楼下", Components{Road: "鸿福路", Number: 88, Remarks: "楼下"}},
	})
}

func TestParseBuildingAndRoom(t *testing.T) {
	base := Components{Road: "鸿福路", Number: 88}
	with := func(building, unit string, floor int, room string) Components {
		c := base
		c.Building, c.Unit, c.Floor, c.Room = building, unit, floor, room
		return c
	}
	runParseCases(t, []parseCase{
		{"1栋", "鸿福路88号1栋", with("1栋", "", 0, "")},
		{"一栋", "鸿福路88号一栋", with("1栋", "", 0, "")},
		{"1幢", "鸿福路88号1幢", with("1栋", "", 0, "")},
		{"1座", "鸿福路88号1座", with("1栋", "", 0, "")},
		{"1号楼", "鸿福路88号1号楼", with("1栋", "", 0, "")},
		{"第1栋", "鸿福路88号第1栋", with("1栋", "", 0, "")},
		{"第一栋", "鸿福路88号第一栋", with("1栋", "", 0, "")},
		{"1号栋", "鸿福路88号1号栋", with("1栋", "", 0, "")},
		{"A座", "鸿福路88号A座", with("A座", "", 0, "")},
		{"a座", "鸿福路88号a座", with("A座", "", 0, "")},
		{"A栋", "鸿福路88号A栋", with("A栋", "", 0, "")},
		{"A3栋", "鸿福路88号A3栋", with("A3栋", "", 0, "")},
		{"3号厂房", "鸿福路88号3号厂房", with("3号厂房", "", 0, "")},
		{"厂房3", "鸿福路88号厂房3", with("3号厂房", "", 0, "")},
		{"3#厂房", "鸿福路88号3#厂房", with("3号厂房", "", 0, "")},
		{"宿舍楼", "鸿福路88号宿舍楼", with("宿舍楼", "", 0, "")},
		{"员工宿舍楼", "鸿福路88号员工宿舍楼603", Components{Road: "鸿福路", Number: 88, Building: "宿舍楼", Room: "603", Remarks: "员工"}},
		{"员工宿舍 and a room", "鸿福路88号员工宿舍504", Components{Road: "鸿福路", Number: 88, Building: "宿舍楼", Room: "504", Remarks: "员工"}},
		{"3号宿舍", "鸿福路88号3号宿舍", with("3号宿舍", "", 0, "")},
		{"3栋厂房", "鸿福路88号3栋厂房101", with("3号厂房", "", 0, "101")},
		{"厂房 with a room", "鸿福路88号厂房2-101", with("2号厂房", "", 0, "101")},
		{"厂房 with a room and no separator", "鸿福路88号厂房2101", with("2号厂房", "", 0, "101")},
		{"之一 then a Chinese building number", "鸿福路88号之一一栋三楼301",
			Components{Road: "鸿福路", Number: 88, SubNumber: 1, Building: "1栋", Floor: 3, Room: "301"}},
		{"之一 then a building number", "鸿福路88号之一1栋",
			Components{Road: "鸿福路", Number: 88, SubNumber: 1, Building: "1栋"}},
		{"unit", "鸿福路88号1栋2单元302", with("1栋", "2单元", 0, "302")},
		{"Chinese unit", "鸿福路88号1栋十二单元", with("1栋", "12单元", 0, "")},
		{"301室", "鸿福路88号1栋301室", with("1栋", "", 0, "301")},
		{"301房", "鸿福路88号1栋301房", with("1栋", "", 0, "301")},
		{"302号房", "鸿福路88号1栋302号房", with("1栋", "", 0, "302")},
		{"301号 after a building", "鸿福路88号1栋301号", with("1栋", "", 0, "301")},
		{"bare room after a building", "鸿福路88号5栋302", with("5栋", "", 0, "302")},
		{"bare room after the doorplate", "鸿福路88号302", with("", "", 0, "302")},
		{"room in Chinese at the end", "鸿福路88号5栋三零二", with("5栋", "", 0, "302")},
		{"floor and room", "鸿福路88号3楼301", with("", "", 3, "301")},
		{"building, floor and room", "鸿福路88号5栋3楼301室", with("5栋", "", 3, "301")},
		{"building-room", "鸿福路88号3-502", with("3栋", "", 0, "502")},
		{"building-unit-room", "鸿福路88号3-2-502", with("3栋", "2单元", 0, "502")},
		{"basement room", "鸿福路88号B101", with("", "", 0, "B101")},
		{"铺位3", "鸿福路88号铺位3", with("", "", 0, "铺位3")},
		{"3号铺", "鸿福路88号3号铺", with("", "", 0, "铺位3")},
		{"3号铺位", "鸿福路88号3号铺位", with("", "", 0, "铺位3")},
		{"商铺3", "鸿福路88号商铺3", with("", "", 0, "铺位3")},
		{"档口12", "鸿福路88号档口12", with("", "", 0, "档口12")},
		{"12号档口", "鸿福路88号12号档口", with("", "", 0, "档口12")},
		{"12档", "鸿福路88号12档", with("", "", 0, "档口12")},
		{"floor then stall", "鸿福路88号一楼12档", with("", "", 1, "档口12")},
	})
}

func TestParseFloor(t *testing.T) {
	base := Components{Road: "鸿福路", Number: 88}
	floor := func(f int) Components { c := base; c.Floor = f; return c }
	runParseCases(t, []parseCase{
		{"3楼", "鸿福路88号3楼", floor(3)},
		{"3层", "鸿福路88号3层", floor(3)},
		{"三楼", "鸿福路88号三楼", floor(3)},
		{"十五楼", "鸿福路88号十五楼", floor(15)},
		{"3F", "鸿福路88号3F", floor(3)},
		{"首层", "鸿福路88号首层", floor(1)},
		{"底层", "鸿福路88号底层", floor(1)},
		{"一楼", "鸿福路88号一楼", floor(1)},
		{"负一层", "鸿福路88号负一层", floor(-1)},
		{"负二楼", "鸿福路88号负二楼", floor(-2)},
		{"地下一层", "鸿福路88号地下一层", floor(-1)},
		{"地下室", "鸿福路88号地下室", floor(-1)},
		{"B1层", "鸿福路88号B1层", floor(-1)},
		{"floor alone", "三楼", Components{Floor: 3}},
	})
}

func TestParsePlace(t *testing.T) {
	runParseCases(t, []parseCase{
		{"tower floor room", "东莞市南城街道汇峰大厦15楼1501",
			Components{City: "东莞市", Town: "南城街道", Place: "汇峰大厦", Floor: 15, Room: "1501"}},
		{"tower bare room", "汇峰大厦1501", Components{Place: "汇峰大厦", Room: "1501"}},
		{"industrial zone factory", "月塘第二工业区3号厂房", Components{Place: "月塘第二工业区", Building: "3号厂房"}},
		{"estate phase building", "新城花园2期5栋", Components{Place: "新城花园2期", Building: "5栋"}},
		{"estate Chinese phase", "金域花园二期5栋1单元302",
			Components{Place: "金域花园二期", Building: "5栋", Unit: "1单元", Room: "302"}},
		{"estate 第二期", "金域花园第二期5栋", Components{Place: "金域花园第二期", Building: "5栋"}},
		{"苑", "环球苑3栋", Components{Place: "环球苑", Building: "3栋"}},
		{"weak keyword inside a name", "新城花园5栋", Components{Place: "新城花园", Building: "5栋"}},
		{"two keywords", "阳光时代广场A座1201", Components{Place: "阳光时代广场", Building: "A座", Room: "1201"}},
		{"weak keyword then a place", "星河城购物中心3楼", Components{Place: "星河城购物中心", Floor: 3}},
		{"park", "凯旋电子工业园A3栋", Components{Place: "凯旋电子工业园", Building: "A3栋"}},
		{"science park area", "松湖科技园区1号", Components{Place: "松湖科技园区", Number: 1}},
		{"market stall", "嘉华五金市场档口12", Components{Place: "嘉华五金市场", Room: "档口12"}},
		{"road and place", "鸿福路88号之一汇峰大厦15楼1501",
			Components{Road: "鸿福路", Number: 88, SubNumber: 1, Place: "汇峰大厦", Floor: 15, Room: "1501"}},
		{"place before the road", "第二工业区振安中路168号", Components{Road: "振安中路", Number: 168, Place: "第二工业区"}},
		{"two places: the later wins", "松山湖松湖科技园汇峰大厦3楼",
			Components{Town: "松山湖", Place: "汇峰大厦", Floor: 3, Remarks: "松湖科技园"}},
		{"place without suffix before a building", "鸿福路200号第一国际A座1205",
			Components{Road: "鸿福路", Number: 200, Place: "第一国际", Building: "A座", Room: "1205"}},
		{"letters in a place name", "TCL工业园3栋", Components{Place: "TCL工业园", Building: "3栋"}},
		{"road starting like a place", "新城花园一路3号", Components{Road: "新城花园一路", Number: 3}},
		{"place road", "工业区路3号", Components{Road: "工业区路", Number: 3}},
	})
}

func TestParseNoise(t *testing.T) {
	runParseCases(t, []parseCase{
		{"round brackets", "鸿福路88号(自编A区)", Components{Road: "鸿福路", Number: 88, Remarks: "自编A区"}},
		{"full-width brackets", "鸿福路88号（自编A区）1501", Components{Road: "鸿福路", Number: 88, Room: "1501", Remarks: "自编A区"}},
		{"square brackets", "鸿福路88号【自编1号】", Components{Road: "鸿福路", Number: 88, Remarks: "自编1号"}},
		{"two remarks in order", "(一)鸿福路88号附近(二)",
			Components{Road: "鸿福路", Number: 88, Remarks: "一; 附近; 二"}},
		{"附近", "鸿福路88号附近", Components{Road: "鸿福路", Number: 88, Remarks: "附近"}},
		{"旁边", "鸿福路88号旁边", Components{Road: "鸿福路", Number: 88, Remarks: "旁边"}},
		{"a landmark is no place", "鸿福路88号汇峰大厦对面", Components{Road: "鸿福路", Number: 88, Remarks: "汇峰大厦对面"}},
		{"a landmark after the place", "沙田工业园10号厂房101，和安第三工业区斜对面",
			Components{Place: "沙田工业园", Building: "10号厂房", Room: "101", Remarks: "和安第三工业区斜对面"}},
		{"a landmark in brackets", "汇峰大厦1501（万豪中心旁边）", Components{Place: "汇峰大厦", Room: "1501", Remarks: "万豪中心旁边"}},
		{"之间", "鸿福路与东城大道之间", Components{Road: "鸿福路", Remarks: "与东城大道之间"}},
		{"spaces", "东莞市 长安镇 乌沙社区 兴发南路 128号",
			Components{City: "东莞市", Town: "长安镇", Village: "乌沙社区", Road: "兴发南路", Number: 128}},
		{"trailing free text", "鸿福路88号自编A区", Components{Road: "鸿福路", Number: 88, Remarks: "自编A区"}},
		{"area label", "汇峰大厦A区", Components{Place: "汇峰大厦", Remarks: "A区"}},
		{"rare character kept", "东莞市高埗镇高埗大道18号", Components{City: "东莞市", Town: "高埗镇", Road: "高埗大道", Number: 18}},
		{"typo kept", "东莞市塘夏镇迎宾大道10号", Components{City: "东莞市", Town: "塘夏镇", Road: "迎宾大道", Number: 10}},
		{"traditional", "東莞市長安鎮烏沙社區興發南路128號3棟502室",
			Components{City: "东莞市", Town: "长安镇", Village: "乌沙社区", Road: "兴发南路", Number: 128, Building: "3栋", Room: "502"}},
	})
}

func TestParseBadInput(t *testing.T) {
	runParseCases(t, []parseCase{
		{"empty", "", Components{}},
		{"spaces", "   ", Components{}},
		{"only digits", "12345", Components{Remarks: "12345"}},
		{"only punctuation", "，。！？——", Components{}},
		{"html", "<script>alert(1)</script>", Components{Remarks: "SCRIPTALERTSCRIPT; 1"}},
		{"sql", "鸿福路88号'; DROP TABLE entity; --", Components{Road: "鸿福路", Number: 88, Remarks: "DROPTABLEENTITY"}},
		{"emoji", "🏠鸿福路88号🎉", Components{Road: "鸿福路", Number: 88}},
		{"invalid UTF-8", "鸿福路\xff88号", Components{Road: "鸿福路", Number: 88}},
		{"only a town", "长安", Components{Town: "长安"}},
		{"latin text", "hello world", Components{Remarks: "HELLOWORLD"}},
	})
}

func TestParseLong(t *testing.T) {
	long := "东莞市长安镇乌沙社区兴发南路128号3栋502室" + strings.Repeat("附近", 5000)
	c := Parse(long)
	if c.Road != "兴发南路" || c.Room != "502" {
		t.Errorf("Parse of a 10 KB address lost its start: %+v", c)
	}
	if n := utf8.RuneCountInString(c.Remarks); n > MaxParseRunes {
		t.Errorf("Parse of a long address kept %d runes of remarks", n)
	}
}

// TestParseVillages parses every real village name of Dongguan after its
// town and checks that Parse finds the village whole.
func TestParseVillages(t *testing.T) {
	rows := readCSV(t, filepath.Join("..", "demo", "data", "villages.csv"))
	for _, row := range rows {
		town, name, kind := row[1], row[2], row[3]
		if kind == "其他" {
			continue // 松山湖, 东莞港, 大屏障生活区 …: no suffix, or a town's name
		}
		want := Normalize(name)
		stem := strings.TrimSuffix(strings.TrimSuffix(town, "镇"), "街道")
		for _, in := range []string{
			"东莞市" + town + name + "鸿福路8号",
			"东莞市" + name + "鸿福路8号",
			town + name + "3栋",
			"东莞" + stem + name + "鸿福路8号",
			"东莞市" + stem + name + "88号",
			stem + name + "3栋302",
		} {
			c := Parse(in)
			if c.Village != want {
				t.Errorf("Parse(%q).Village = %q, want %q (%+v)", in, c.Village, want, c)
			}
		}
		if stem != town {
			in := "东莞" + stem + name + "鸿福路8号"
			if c := Parse(in); c.Town != stem {
				t.Errorf("Parse(%q).Town = %q, want %q", in, c.Town, stem)
			}
		}
	}
}

// TestVillagesLikeTowns checks villagesLikeTowns against the villages of
// the demo data: every village that starts with a town's stem but is not
// that stem plus a village suffix must be in it.
func TestVillagesLikeTowns(t *testing.T) {
	rows := readCSV(t, filepath.Join("..", "demo", "data", "villages.csv"))
	listed := map[string]bool{}
	for _, v := range villagesLikeTowns {
		listed[string(v)] = true
	}
	for _, row := range rows {
		name := []rune(row[2])
		for _, as := range writtenTowns {
			for _, a := range as {
				if a.exact || !hasAt(name, 0, a.text) || len(name) == len(a.text) {
					continue
				}
				if k := nameKeywordAt(name, len(a.text), kwVillage); k != nil && len(a.text)+len(k.text) == len(name) {
					continue // 横沥村, 大岭山社区: the stem check rejects these
				}
				if !listed[string(name)] {
					t.Errorf("village %s starts with town %s: add it to villagesLikeTowns", string(name), string(a.text))
				}
			}
		}
	}
}

// TestVillagesLikeSuffixes checks villagesLikeSuffixes against the villages
// of the demo data.
func TestVillagesLikeSuffixes(t *testing.T) {
	listed := map[string]bool{}
	for _, v := range villagesLikeSuffixes {
		listed[string(v)] = true
	}
	for _, row := range readCSV(t, filepath.Join("..", "demo", "data", "villages.csv")) {
		name := []rune(row[2])
		if (name[0] == '镇' || name[0] == '区' || hasAt(name, 0, []rune("街道"))) && !listed[row[2]] {
			t.Errorf("village %s starts with a town suffix: add it to villagesLikeSuffixes", row[2])
		}
	}
}

// TestTownsData checks dongguanTowns against demo/data/towns.csv.
func TestTownsData(t *testing.T) {
	rows := readCSV(t, filepath.Join("..", "demo", "data", "towns.csv"))
	if len(rows) != len(dongguanTowns) {
		t.Fatalf("%d towns in towns.csv, %d in dongguanTowns", len(rows), len(dongguanTowns))
	}
	for i, row := range rows {
		if got := dongguanTowns[i]; got.code != row[0] || got.name != row[1] {
			t.Errorf("town %d: %s %s, towns.csv has %s %s", i, got.code, got.name, row[0], row[1])
		}
		c := Parse("东莞市" + row[1] + "鸿福路8号")
		if c.Town != row[1] {
			t.Errorf("Parse(东莞市%s鸿福路8号).Town = %q", row[1], c.Town)
		}
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows[1:]
}
