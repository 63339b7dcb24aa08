package campaign

import (
	"strings"

	"github.com/mudi-gis/mudi/spatial"
)

// Fields names the attribute each input of the rules is read from. [DefaultFields] gives the
// conventional field codes; [FieldsOf] adapts them to a layer. An input whose field a parcel does
// not have is missing.
type Fields struct {
	Approved         string // PZRQ 批准日期 (date)
	Supplied         string // GDRQ 供地(交地)日期 (date)
	AgreedStart      string // YDDGRQ 约定动工日期 (date)
	Started          string // SJDGRQ 实际动工日期 (date)
	AgreedCompletion string // YDJGRQ 约定竣工日期 (date)
	Completed        string // SJJGRQ 实际竣工日期 (date)
	AgreedProduction string // YDTCRQ 约定投产日期 (date)
	InProduction     string // SJTCRQ 实际投产日期 (date)
	Stopped          string // TGRQ 停工日期 (date)
	DevelopedShare   string // KFBL 已开发面积占比, fraction 0..1
	InvestedShare    string // TZBL 已投资额占比, fraction 0..1
	IdleCause        string // XZYY 闲置原因 (企业原因 / 政府原因)
	Price            string // CRJK 出让价款, 万元
	Tax              string // SS 税收, 万元 (role tax)
	TaxPerMu         string // MJSS 亩均税收 as delivered, 万元/亩 (role tax_per_mu)
	AgreedTaxPerMu   string // YDMJSS 约定亩均税收, 万元/亩
	FiveWei          string // WWLX 五未类型 as delivered (role five_wei)
	Deadline         string // WCSX 完成时限 of the ledger (date)
	DisposalState    string // CZZT 处置状态 (role disposal_state)
}

// DefaultFields returns the conventional field codes.
func DefaultFields() Fields {
	return Fields{
		Approved:         "PZRQ",
		Supplied:         "GDRQ",
		AgreedStart:      "YDDGRQ",
		Started:          "SJDGRQ",
		AgreedCompletion: "YDJGRQ",
		Completed:        "SJJGRQ",
		AgreedProduction: "YDTCRQ",
		InProduction:     "SJTCRQ",
		Stopped:          "TGRQ",
		DevelopedShare:   "KFBL",
		InvestedShare:    "TZBL",
		IdleCause:        "XZYY",
		Price:            "CRJK",
		Tax:              "SS",
		TaxPerMu:         "MJSS",
		AgreedTaxPerMu:   "YDMJSS",
		FiveWei:          "WWLX",
		Deadline:         "WCSX",
		DisposalState:    "CZZT",
	}
}

// FieldsOf returns the fields of layer l: the field playing a role (l.Roles) replaces the default
// for the tax (SS), tax_per_mu (MJSS), five_wei (WWLX) and disposal_state (CZZT) inputs; every
// other input takes the layer's spelling of its conventional code when the layer's schema has it
// in another letter case (gdrq for GDRQ). A nil layer gives [DefaultFields].
func FieldsOf(l *spatial.Layer) Fields {
	f := DefaultFields()
	if l == nil {
		return f
	}
	byUpper := make(map[string]string, len(l.Fields))
	for _, fd := range l.Fields {
		byUpper[strings.ToUpper(fd.Name)] = fd.Name
	}
	for _, p := range f.all() {
		if name, ok := byUpper[strings.ToUpper(*p)]; ok {
			*p = name
		}
	}
	for role, p := range map[string]*string{
		spatial.RoleTax:           &f.Tax,
		spatial.RoleTaxPerMu:      &f.TaxPerMu,
		spatial.RoleFiveWei:       &f.FiveWei,
		spatial.RoleDisposalState: &f.DisposalState,
	} {
		if name, ok := l.Role(role); ok {
			*p = name
		}
	}
	return f
}

// all returns pointers to every field name of f.
func (f *Fields) all() []*string {
	return []*string{&f.Approved, &f.Supplied, &f.AgreedStart, &f.Started, &f.AgreedCompletion,
		&f.Completed, &f.AgreedProduction, &f.InProduction, &f.Stopped, &f.DevelopedShare,
		&f.InvestedShare, &f.IdleCause, &f.Price, &f.Tax, &f.TaxPerMu, &f.AgreedTaxPerMu,
		&f.FiveWei, &f.Deadline, &f.DisposalState}
}
