package openapi

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// decodeEmbedded decodes an embedded copy, data, read by jsonNode into
// root: directly, as TestDirectDecodeIsKins checks each one is, and by
// kin's loader should a copy come to hold what decodeDirect refuses; then
// it resolves the references as the loader does.
func decodeEmbedded(loader *openapi3.Loader, data []byte, root *yaml.Node) (*openapi3.T, error) {
	doc, err := decodeDirect(root)
	if errors.Is(err, errNotDirect) {
		return loader.LoadFromData(data)
	}
	if err != nil {
		return nil, err
	}
	if err := loader.ResolveRefsIn(doc, nil); err != nil {
		return nil, err
	}
	return doc, nil
}

// errNotDirect: the tree holds something whose decoding by kin-openapi
// decodeDirect does not reproduce; kin decodes those bytes itself.
var errNotDirect = errors.New("openapi: not decoded directly")

// decodeDirect builds from the tree jsonNode read the *openapi3.T that
// kin-openapi's T.UnmarshalJSON makes of the same bytes, before its
// references are resolved, in one walk. kin's UnmarshalJSON methods each
// decode their object twice, once into the model and once more, whole, into
// a generic map for its extensions, and encoding/json checks the bytes again
// at every level: the work grows with the depth of each schema, and was
// three quarters of a cold start's CPU.
//
// It reproduces kin's rules for what it accepts and refuses the rest with
// errNotDirect: a member is a field of the model, spelled exactly as its
// tag (encoding/json would also take other cases, and kin would keep those
// as extensions besides), or an extension starting with "x-"; a $ref is
// alone in its object; no member repeats; null only where the model holds
// any value; unsigned integers only up to 2^53, which kin's re-encoding of
// paths and responses through float64 keeps exact. TestDirectDecodeIsKins and
// FuzzDirectDecode hold it to kin.
func decodeDirect(root *yaml.Node) (*openapi3.T, error) {
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	d := &directDecoder{structs: map[reflect.Type]*structInfo{}}
	var doc openapi3.T
	if err := d.decode(root, reflect.ValueOf(&doc).Elem()); err != nil {
		return nil, err
	}
	return &doc, nil
}

type directDecoder struct {
	// structs are what decoding each struct type needs, found once per
	// type.
	structs map[reflect.Type]*structInfo
}

// structInfo is how kin decodes a struct type: as a reference or the value
// in its place (ref and value index its Ref and Value), or as one of the
// plain models (byName indexes its members by their JSON names, extensions
// its Extensions or is -1); refused says why it is neither.
type structInfo struct {
	isRef      bool
	ref, value int
	byName     map[string]int
	extensions int
	refused    error
}

var (
	typeTypes          = reflect.TypeFor[openapi3.Types]()
	typeBoolSchema     = reflect.TypeFor[openapi3.BoolSchema]()
	typeExclusiveBound = reflect.TypeFor[openapi3.ExclusiveBound]()
	typePaths          = reflect.TypeFor[openapi3.Paths]()
	typeResponses      = reflect.TypeFor[openapi3.Responses]()
	typeCallback       = reflect.TypeFor[openapi3.Callback]()
	typeHeader         = reflect.TypeFor[openapi3.Header]()
	typeUnmarshaler    = reflect.TypeFor[json.Unmarshaler]()
	typeTextUnmarshal  = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// plainModel reports kin's types whose UnmarshalJSON decodes the object
// into the model and keeps every member it has no field for as an
// extension, and nothing else. A model type kin decodes some other way, or
// one added in a later kin, is not among them, and is refused.
func plainModel(t reflect.Type) bool {
	switch t {
	case reflect.TypeFor[openapi3.T](),
		reflect.TypeFor[openapi3.Components](),
		reflect.TypeFor[openapi3.Contact](),
		reflect.TypeFor[openapi3.Encoding](),
		reflect.TypeFor[openapi3.Example](),
		reflect.TypeFor[openapi3.ExternalDocs](),
		reflect.TypeFor[openapi3.Info](),
		reflect.TypeFor[openapi3.License](),
		reflect.TypeFor[openapi3.Link](),
		reflect.TypeFor[openapi3.MediaType](),
		reflect.TypeFor[openapi3.Operation](), // its one rule more is for "responses": null, refused here
		reflect.TypeFor[openapi3.Parameter](),
		reflect.TypeFor[openapi3.PathItem](),
		reflect.TypeFor[openapi3.RequestBody](),
		reflect.TypeFor[openapi3.Response](),
		reflect.TypeFor[openapi3.Schema](), // its one rule more is for a boolean schema, refused here
		reflect.TypeFor[openapi3.SecurityScheme](),
		reflect.TypeFor[openapi3.OAuthFlows](),
		reflect.TypeFor[openapi3.OAuthFlow](),
		reflect.TypeFor[openapi3.Server](),
		reflect.TypeFor[openapi3.ServerVariable](),
		reflect.TypeFor[openapi3.Tag](),
		reflect.TypeFor[openapi3.XML]():
		return true
	}
	return false
}

func notDirect(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errNotDirect, fmt.Sprintf(format, args...))
}

// decode sets v, settable, to what encoding/json and kin make of n.
func (d *directDecoder) decode(n *yaml.Node, v reflect.Value) error {
	t := v.Type()
	if isScalar(n, "!!null") && t.Kind() != reflect.Interface {
		return notDirect("null for %s", t)
	}
	switch t {
	case typeTypes:
		return d.types(n, v)
	case typeBoolSchema:
		return d.boolSchema(n, v)
	case typeExclusiveBound:
		return d.exclusiveBound(n, v)
	case typePaths, typeResponses, typeCallback:
		return d.mapLike(n, v)
	case typeHeader:
		return d.decode(n, v.FieldByName("Parameter"))
	}
	if t.Kind() != reflect.Struct && t.Kind() != reflect.Pointer &&
		(reflect.PointerTo(t).Implements(typeUnmarshaler) || reflect.PointerTo(t).Implements(typeTextUnmarshal)) {
		// A decoding of its own, which a later kin may give any type.
		return notDirect("type %s", t)
	}
	switch t.Kind() {
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return notDirect("interface %s", t)
		}
		x, err := anyValue(n)
		if err != nil {
			return err
		}
		if x != nil {
			v.Set(reflect.ValueOf(x))
		}
		return nil
	case reflect.String:
		if !isScalar(n, "!!str") {
			return notDirect("%s for a string", n.Tag)
		}
		v.SetString(n.Value)
		return nil
	case reflect.Bool:
		if !isScalar(n, "!!bool") {
			return notDirect("%s for a boolean", n.Tag)
		}
		v.SetBool(n.Value == "true")
		return nil
	case reflect.Float64:
		f, err := number(n)
		if err != nil {
			return err
		}
		v.SetFloat(f)
		return nil
	case reflect.Uint64:
		if !isScalar(n, "!!int") {
			return notDirect("%s for an unsigned integer", n.Tag)
		}
		u, err := strconv.ParseUint(n.Value, 10, 64)
		if err != nil || u > 1<<53 {
			return notDirect("unsigned integer %q", n.Value)
		}
		v.SetUint(u)
		return nil
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		if err := d.decode(n, p.Elem()); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return notDirect("%s for a list", n.Tag)
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, item := range n.Content {
			if err := d.decode(item, s.Index(i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Map:
		if n.Kind != yaml.MappingNode || t.Key().Kind() != reflect.String {
			return notDirect("%s for a map", n.Tag)
		}
		if err := unique(n); err != nil {
			return err
		}
		m := reflect.MakeMapWithSize(t, len(n.Content)/2)
		for i := 0; i < len(n.Content); i += 2 {
			item := reflect.New(t.Elem()).Elem()
			if err := d.decode(n.Content[i+1], item); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(n.Content[i].Value).Convert(t.Key()), item)
		}
		v.Set(m)
		return nil
	case reflect.Struct:
		info := d.structInfo(t)
		switch {
		case info.refused != nil:
			return info.refused
		case info.isRef:
			return d.ref(n, v, info)
		}
		return d.model(n, v, info)
	}
	return notDirect("kind %s", t.Kind())
}

// model decodes an object into a plain model, as its UnmarshalJSON does.
func (d *directDecoder) model(n *yaml.Node, v reflect.Value, info *structInfo) error {
	if n.Kind != yaml.MappingNode {
		return notDirect("%s for %s", n.Tag, v.Type())
	}
	if err := unique(n); err != nil {
		return err
	}
	var ext map[string]any
	for i := 0; i < len(n.Content); i += 2 {
		key, value := n.Content[i].Value, n.Content[i+1]
		if index, ok := info.byName[key]; ok {
			if err := d.decode(value, v.Field(index)); err != nil {
				return err
			}
			continue
		}
		if !strings.HasPrefix(key, "x-") || info.extensions < 0 {
			return notDirect("member %q of %s", key, v.Type())
		}
		x, err := anyValue(value)
		if err != nil {
			return err
		}
		if ext == nil {
			ext = map[string]any{}
		}
		ext[key] = x
	}
	if ext != nil {
		v.Field(info.extensions).Set(reflect.ValueOf(ext))
	}
	return nil
}

func (d *directDecoder) structInfo(t reflect.Type) *structInfo {
	if info, ok := d.structs[t]; ok {
		return info
	}
	info := &structInfo{extensions: -1}
	d.structs[t] = info
	ref, isRef := t.FieldByName("Ref")
	value, hasValue := t.FieldByName("Value")
	if isRef && hasValue && ref.Type.Kind() == reflect.String && value.Type.Kind() == reflect.Pointer &&
		reflect.PointerTo(t).Implements(typeUnmarshaler) {
		// kin's XRef types: a reference, or the value in place.
		info.isRef, info.ref, info.value = true, ref.Index[0], value.Index[0]
		return info
	}
	if !plainModel(t) {
		info.refused = notDirect("type %s", t)
		return info
	}
	info.byName = map[string]int{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Name == "Extensions" && sf.Type == reflect.TypeFor[map[string]any]() {
			info.extensions = i
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		switch {
		case !sf.IsExported() || name == "-":
			continue
		case sf.Anonymous || name == "":
			// encoding/json would promote or name it by the field's name.
			info.refused = notDirect("field %s of %s", sf.Name, t)
			return info
		}
		info.byName[name] = i
	}
	return info
}

// ref decodes a reference object alone ({"$ref": "…"}) or the value in its
// place, as every XRef.UnmarshalJSON does. A $ref beside other members is
// kept in fields the model does not export, so it is refused.
func (d *directDecoder) ref(n *yaml.Node, v reflect.Value, info *structInfo) error {
	if n.Kind != yaml.MappingNode {
		return notDirect("%s for %s", n.Tag, v.Type())
	}
	for i := 0; i < len(n.Content); i += 2 {
		if !strings.EqualFold(n.Content[i].Value, "$ref") {
			continue
		}
		if len(n.Content) != 2 || n.Content[i].Value != "$ref" {
			return notDirect("$ref beside other members")
		}
		target := n.Content[i+1]
		if !isScalar(target, "!!str") || target.Value == "" {
			return notDirect("$ref %s", target.Tag)
		}
		v.Field(info.ref).SetString(target.Value)
		return nil
	}
	return d.decode(n, v.Field(info.value))
}

// types is Types.UnmarshalJSON: a list of names or one.
func (d *directDecoder) types(n *yaml.Node, v reflect.Value) error {
	var names openapi3.Types
	switch {
	case isScalar(n, "!!str"):
		names = openapi3.Types{n.Value}
	case n.Kind == yaml.SequenceNode:
		names = make(openapi3.Types, len(n.Content))
		for i, item := range n.Content {
			if !isScalar(item, "!!str") {
				return notDirect("%s for a type", item.Tag)
			}
			names[i] = item.Value
		}
	default:
		return notDirect("%s for types", n.Tag)
	}
	v.Set(reflect.ValueOf(names))
	return nil
}

// boolSchema is BoolSchema.UnmarshalJSON: a boolean, or a schema, which kin
// encodes again and decodes as a *SchemaRef (an empty one as a bare schema).
func (d *directDecoder) boolSchema(n *yaml.Node, v reflect.Value) error {
	var bs openapi3.BoolSchema
	switch {
	case isScalar(n, "!!bool"):
		has := n.Value == "true"
		bs.Has = &has
	case n.Kind == yaml.MappingNode && len(n.Content) == 0:
		bs.Schema = &openapi3.SchemaRef{Value: &openapi3.Schema{}}
	case n.Kind == yaml.MappingNode:
		// kin decodes the object into a map first: a repeated member
		// would be dropped there, and it is refused here (unique).
		bs.Schema = &openapi3.SchemaRef{}
		if err := d.decode(n, reflect.ValueOf(bs.Schema).Elem()); err != nil {
			return err
		}
	default:
		return notDirect("%s for additional properties", n.Tag)
	}
	v.Set(reflect.ValueOf(bs))
	return nil
}

// exclusiveBound is ExclusiveBound.UnmarshalJSON: a boolean (3.0) or a
// number (3.1).
func (d *directDecoder) exclusiveBound(n *yaml.Node, v reflect.Value) error {
	var eb openapi3.ExclusiveBound
	if isScalar(n, "!!bool") {
		b := n.Value == "true"
		eb.Bool = &b
	} else {
		f, err := number(n)
		if err != nil {
			return err
		}
		eb.Value = &f
	}
	v.Set(reflect.ValueOf(eb))
	return nil
}

// mapLike is the UnmarshalJSON of Paths, Responses and Callback: their
// extensions in a map that is there even when empty, and every other member
// an item, set through the type's Set (its map is not exported).
func (d *directDecoder) mapLike(n *yaml.Node, v reflect.Value) error {
	if n.Kind != yaml.MappingNode {
		return notDirect("%s for %s", n.Tag, v.Type())
	}
	if err := unique(n); err != nil {
		return err
	}
	var set reflect.Value
	switch v.Type() {
	case typePaths:
		v.Set(reflect.ValueOf(openapi3.NewPathsWithCapacity(len(n.Content) / 2)).Elem())
	case typeResponses:
		v.Set(reflect.ValueOf(openapi3.NewResponsesWithCapacity(len(n.Content) / 2)).Elem())
	case typeCallback:
		v.Set(reflect.ValueOf(openapi3.NewCallbackWithCapacity(len(n.Content) / 2)).Elem())
	}
	set = v.Addr().MethodByName("Set")
	ext := map[string]any{}
	for i := 0; i < len(n.Content); i += 2 {
		key, value := n.Content[i].Value, n.Content[i+1]
		if strings.HasPrefix(key, "x-") {
			x, err := anyValue(value)
			if err != nil {
				return err
			}
			ext[key] = x
			continue
		}
		item := reflect.New(set.Type().In(1).Elem())
		if err := d.decode(value, item.Elem()); err != nil {
			return err
		}
		set.Call([]reflect.Value{reflect.ValueOf(key), item})
	}
	v.FieldByName("Extensions").Set(reflect.ValueOf(ext))
	return nil
}

// anyValue is what encoding/json decodes n to in an any: maps, slices,
// strings, booleans, float64s and nil.
func anyValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.MappingNode:
		if err := unique(n); err != nil {
			return nil, err
		}
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i < len(n.Content); i += 2 {
			x, err := anyValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = x
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, item := range n.Content {
			x, err := anyValue(item)
			if err != nil {
				return nil, err
			}
			s[i] = x
		}
		return s, nil
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str":
			return n.Value, nil
		case "!!bool":
			return n.Value == "true", nil
		case "!!null":
			return nil, nil
		}
		return number(n)
	}
	return nil, notDirect("node kind %d", n.Kind)
}

// number is a JSON number as encoding/json decodes it into a float64.
func number(n *yaml.Node) (float64, error) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		return 0, notDirect("%s for a number", n.Tag)
	}
	f, err := strconv.ParseFloat(n.Value, 64)
	if err != nil {
		return 0, notDirect("number %q", n.Value)
	}
	return f, nil
}

// isScalar tells a scalar of the tag jsonNode gives it.
func isScalar(n *yaml.Node, tag string) bool { return n.Kind == yaml.ScalarNode && n.Tag == tag }

// unique refuses a mapping whose members repeat: encoding/json keeps the
// last, and merges the repeats of an object into one.
func unique(n *yaml.Node) error {
	if len(n.Content) <= 2 {
		return nil
	}
	if len(n.Content) <= 32 {
		for i := 0; i < len(n.Content); i += 2 {
			for j := i + 2; j < len(n.Content); j += 2 {
				if n.Content[i].Value == n.Content[j].Value {
					return notDirect("member %q repeated", n.Content[i].Value)
				}
			}
		}
		return nil
	}
	seen := make(map[string]struct{}, len(n.Content)/2)
	for i := 0; i < len(n.Content); i += 2 {
		if _, ok := seen[n.Content[i].Value]; ok {
			return notDirect("member %q repeated", n.Content[i].Value)
		}
		seen[n.Content[i].Value] = struct{}{}
	}
	return nil
}
