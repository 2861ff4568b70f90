package config

// EventCode is one entry of the city's event-code table (数字城管 事部件
// 分类): a major category (大类) and a subcategory (小类). Cities renumber
// these, so the table is configuration; DefaultEventCodes applies when the
// configuration has none.
type EventCode struct {
	// Code is the full code, e.g. "0505" (required, unique).
	Code string `yaml:"code"`
	// Category is the major category (大类) code, e.g. "05".
	Category string `yaml:"category"`
	// CategoryName is the major category's name, e.g. "街面秩序".
	CategoryName string `yaml:"category_name"`
	// Subcategory is the subcategory (小类) code, e.g. "05".
	Subcategory string `yaml:"subcategory"`
	// Name is the event name, e.g. "机动车乱停放" (required).
	Name string `yaml:"name"`
}

// DefaultEventCodes is the table used when the configuration lists none:
// the rows of GB/T 30428.2-2013's event table that a rule kind covers,
// as docs/categories.md lists them (TestCategoriesMatchDefaultEventCodes
// holds the two together).
var DefaultEventCodes = []EventCode{
	{Code: "0102", Category: "01", CategoryName: "市容环境", Subcategory: "02", Name: "暴露垃圾"},
	{Code: "0103", Category: "01", CategoryName: "市容环境", Subcategory: "03", Name: "积存垃圾渣土"},
	{Code: "0108", Category: "01", CategoryName: "市容环境", Subcategory: "08", Name: "废弃家具设备"},
	{Code: "0501", Category: "05", CategoryName: "街面秩序", Subcategory: "01", Name: "无照经营游商"},
	{Code: "0504", Category: "05", CategoryName: "街面秩序", Subcategory: "04", Name: "店外经营"},
	{Code: "0505", Category: "05", CategoryName: "街面秩序", Subcategory: "05", Name: "机动车乱停放"},
	{Code: "0506", Category: "05", CategoryName: "街面秩序", Subcategory: "06", Name: "非机动车乱停放"},
	{Code: "0507", Category: "05", CategoryName: "街面秩序", Subcategory: "07", Name: "乱堆物堆料"},
}

// EventCodeFor returns the table entry of a code.
func (c *Config) EventCodeFor(code string) (EventCode, bool) {
	for _, e := range c.EventCodes {
		if e.Code == code {
			return e, true
		}
	}
	return EventCode{}, false
}
