package spatial

import "strings"

// Roles are the parts attributes play in mudi's analyses and maps. A layer maps each role to one
// of its fields ([Layer.Roles]); [DetectRoles] fills the map from conventional field codes.
const (
	RoleID             = "id"               // BSM 标识码
	RoleCode           = "code"             // DKBH 地块编号 / ZDDM 宗地代码
	RoleStatus         = "status"           // the attribute `status=` filters on
	RoleDistrict       = "district"         // XZQMC / XZQDM 行政区
	RoleTown           = "town"             // XZMC / XZDM 乡镇(街道)
	RolePark           = "park"             // YQMC 所在园区
	RoleOwner          = "owner"            // QLR 权利人
	RoleTax            = "tax"              // SS 税收(万元)
	RoleTaxPerMu       = "tax_per_mu"       // MJSS 亩均税收(万元/亩)
	RoleFAR            = "far"              // RJL 容积率
	RoleEfficiency     = "efficiency"       // MJDJ 亩均评价等级
	RoleLowEfficiency  = "low_efficiency"   // SFDX 是否低效
	RoleLowEffType     = "low_eff_type"     // DXLX 低效类型
	RoleFiveWei        = "five_wei"         // WWLX 五未类型
	RoleIdle           = "idle"             // SFXZ 是否闲置
	RoleDisposalState  = "disposal_state"   // CZZT 处置状态
	RoleWarning        = "warning"          // YJDJ 预警等级
	RoleControlType    = "control_type"     // KZXLX 控制线类型
	RoleDeclaredAreaM2 = "declared_area_m2" // ZDMJ 面积(㎡) as delivered
	// RoleTemporal is the date that places a feature in time (see [TemporalField]); GDRQ 供地日期
	// plays it unless the layer names another field. It is not in [DetectRoles]: the default
	// needs no entry in the layer's roles.
	RoleTemporal = "temporal"
)

// TemporalField returns the field that places a layer's features in time: the field of role
// [RoleTemporal] when the layer has one, else the layer's date field GDRQ (供地日期, the supply
// date; matched case-insensitively). ok is false when there is neither.
func TemporalField(l *Layer) (string, bool) {
	if f, ok := l.Role(RoleTemporal); ok {
		return f, true
	}
	for _, f := range l.Fields {
		if strings.EqualFold(f.Name, "GDRQ") && f.Type == FieldDate {
			return f.Name, true
		}
	}
	return "", false
}

// roleCandidates lists, per role, the field names that play it, most specific first; names are
// matched case-insensitively.
var roleCandidates = map[string][]string{
	RoleID:             {"BSM", "id"},
	RoleCode:           {"DKBH", "ZDDM", "code", "parcel_code", "id"}, // a plain id identifies a parcel when nothing more specific exists
	RoleStatus:         {"status", "WWLX", "DXLX", "ZT"},
	RoleDistrict:       {"XZQMC", "XZQDM", "district"},
	RoleTown:           {"XZMC", "XZDM", "town"},
	RolePark:           {"YQMC", "park"},
	RoleOwner:          {"QLR", "enterprise", "owner"},
	RoleTax:            {"SS", "tax"},
	RoleTaxPerMu:       {"MJSS", "tax_per_mu"},
	RoleFAR:            {"RJL", "far"},
	RoleEfficiency:     {"MJDJ", "efficiency_class"},
	RoleLowEfficiency:  {"SFDX", "low_efficiency"},
	RoleLowEffType:     {"DXLX", "low_efficiency_type"},
	RoleFiveWei:        {"WWLX", "five_wei"},
	RoleIdle:           {"SFXZ", "idle"},
	RoleDisposalState:  {"CZZT", "disposal_state"},
	RoleWarning:        {"YJDJ", "warning"},
	RoleControlType:    {"KZXLX", "control_type"},
	RoleDeclaredAreaM2: {"ZDMJ"},
}

// RoleCandidates returns the field names that play role r by convention, most specific first.
func RoleCandidates(r string) []string { return roleCandidates[r] }

// DetectRoles maps roles to fields of the schema by the conventional field codes of Chinese land
// data (docs/domain.md §2) and plain English names. A role whose candidate fields are all absent is
// left out.
func DetectRoles(fields []Field) map[string]string {
	byUpper := make(map[string]string, len(fields))
	for _, f := range fields {
		byUpper[strings.ToUpper(f.Name)] = f.Name
	}
	roles := map[string]string{}
	for role, cands := range roleCandidates {
		for _, c := range cands {
			if name, ok := byUpper[strings.ToUpper(c)]; ok {
				roles[role] = name
				break
			}
		}
	}
	return roles
}

// FieldAliases are the Chinese labels of the conventional field codes.
var FieldAliases = map[string]string{
	"BSM": "标识码", "DKBH": "地块编号", "ZDDM": "宗地代码", "XZQDM": "行政区代码", "XZQMC": "行政区名称",
	"XZDM": "乡镇代码", "XZMC": "乡镇(街道)", "YQMC": "所在园区", "QLR": "权利人", "ZDMJ": "面积(㎡)",
	"MJM": "面积(亩)", "TDYT": "土地用途", "XZDL": "现状地类", "GHYT": "规划用途", "GDRQ": "供地日期",
	"YDDGRQ": "约定动工日期", "SJDGRQ": "实际动工日期", "YDJGRQ": "约定竣工日期", "SJJGRQ": "实际竣工日期",
	"YDTCRQ": "约定投产日期", "SJTCRQ": "实际投产日期", "CRJK": "出让价款(万元)", "RJL": "容积率",
	"YDRJLX": "约定容积率下限", "JZMD": "建筑密度(%)", "SS": "税收(万元)", "MJSS": "亩均税收(万元/亩)",
	"ZJZ": "增加值(万元)", "MJZJZ": "亩均增加值(万元/亩)", "MJDJ": "亩均评价等级", "SFDX": "是否低效",
	"DXLX": "低效类型", "WWLX": "五未类型", "SFXZ": "是否闲置", "XZYY": "闲置原因", "KZXN": "控制线内",
	"LXDK": "零星地块", "ZZPQBH": "整治片区编号", "XCYY": "形成原因", "CZCS": "处置措施", "WCSX": "完成时限",
	"ZRDW": "责任单位", "ZRR": "责任人", "CZZT": "处置状态", "XHRQ": "销号日期", "YJDJ": "预警等级",
	"KZXLX": "控制线类型",
}
